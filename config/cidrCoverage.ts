/**
 * Whether a set of CIDR blocks covers a whole address family: `0.0.0.0/1` and
 * `128.0.0.0/1` open as much as `0.0.0.0/0` does, and so do `::/1` and `8000::/1`.
 */
import * as net from "node:net";
import type { Cidr } from "./fields";

/** The address as an unsigned integer of its family's width. */
function addressValue(address: string, family: 4 | 6): bigint {
  if (family === 4)
    return address.split(".").reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two 16-bit groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4 && net.isIPv4(v4)) {
    const n = addressValue(v4, 4);
    text = `${text.slice(0, -v4.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all =
    tail === undefined
      ? groups(head)
      : [...groups(head), ...Array<string>(missing).fill("0"), ...groups(tail)];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** True when the union of the blocks of this family covers every address in it. */
export function coversWholeFamily(blocks: Cidr[], family: 4 | 6): boolean {
  const bits = BigInt(family === 4 ? 32 : 128);
  const spans = blocks
    .filter((b) => b.family === family)
    .map((b) => {
      const size = 1n << (bits - BigInt(b.prefix));
      const start = (addressValue(b.address, family) / size) * size;
      return [start, start + size] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let reached = 0n;
  for (const [start, end] of spans) {
    if (start > reached) return false;
    if (end > reached) reached = end;
  }
  return reached === 1n << bits;
}
