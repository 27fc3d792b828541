import { isIPv6 } from "node:net";
import { normalizeIp } from "./connection-limit";

/**
 * The key per-address live caps count a peer under: an IPv4 address as is (an IPv4-mapped IPv6 one,
 * `::ffff:1.2.3.4`, folded to it as connection limits do), an IPv6 address by its /64. One IPv6 host
 * is usually given a whole /64 (SLAAC, privacy addresses): keyed per address it would get a share of
 * every cap for each of 2^64 source addresses it can pick.
 */
export function addressKey(ip: string): string {
  const folded = normalizeIp(ip);
  return isIPv6(folded) ? `ip:${prefix64(folded)}::/64` : `ip:${folded}`;
}

/** The first four groups of a valid IPv6 address, in lowercase hex without leading zeros. */
function prefix64(ip: string): string {
  const bare = ip.split("%")[0]!;
  const gap = bare.indexOf("::");
  const head = (gap < 0 ? bare : bare.slice(0, gap)).split(":").filter(Boolean);
  // "::" stands for as many zero groups as the address is short of eight (a dotted IPv4 tail is two).
  const tail = gap < 0 ? [] : bare.slice(gap + 2).split(":").filter(Boolean);
  const tailGroups = tail.reduce((n, part) => n + (part.includes(".") ? 2 : 1), 0);
  const groups = gap < 0 ? head : [...head, ...Array<string>(8 - head.length - tailGroups).fill("0"), ...tail];
  return groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(":");
}
