import { describe, expect, it } from "vitest";
import { addressKey } from "../src/security/address-key";

/**
 * Per-address live caps were keyed by the full socket address: one IPv6 host, given a /64, could
 * take a share of every cap per source address it picked, and a dual-stack server's IPv4-mapped
 * `::ffff:1.2.3.4` was another key than `1.2.3.4`.
 */
describe("an IPv6 host got a per-address share for every address of its /64", () => {
  it("IPv6 addresses of one /64 share a key, other /64s do not; IPv4-mapped folds to IPv4", () => {
    const key = addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    expect(key).toBe("ip:2001:db8:1:2::/64");
    for (const same of ["2001:db8:1:2::1", "2001:0db8:0001:0002:ffff::", "2001:DB8:1:2:0:0:0:0", "2001:db8:1:2::1%eth0", "2001:db8:1:2::1.2.3.4"]) expect(addressKey(same)).toBe(key);
    for (const other of ["2001:db8:1:3::1", "2001:db8::2:1:2:1", "::1", "fe80::1"]) expect(addressKey(other)).not.toBe(key);
    expect(addressKey("::1")).toBe("ip:0:0:0:0::/64");
    expect(addressKey("2001:db8::")).toBe("ip:2001:db8:0:0::/64");
    expect(addressKey("::ffff:10.1.2.3")).toBe("ip:10.1.2.3");
    expect(addressKey("10.1.2.3")).toBe("ip:10.1.2.3");
    expect(addressKey("unknown")).toBe("ip:unknown");
  });
});
