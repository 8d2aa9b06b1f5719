/** How every backend writes the address clients dial. */
import * as net from "node:net";

/** host[:port] as clients write it: IPv6 in brackets; no port for 443 unless `always`. */
export function hostWithPort(hostName: string, port: number, always = false): string {
  const h = net.isIPv6(hostName) ? `[${hostName}]` : hostName;
  return port === 443 && !always ? h : `${h}:${port}`;
}
