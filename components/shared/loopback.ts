/** Which addresses reach only the machine that dials them. */
import * as net from "node:net";

/** 127.0.0.0/8 and ::1: reachable from this machine only. */
export function isLoopback(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith("127.");
  return net.isIPv6(address) && /^(0{0,4}:){1,7}0{0,3}1$|^::1$/.test(address);
}
