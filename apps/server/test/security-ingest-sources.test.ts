import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../src/security/rate-limit";
import { createIngestSources, createSourceRateLimiter, declaredHost } from "../src/security/ingest-sources";

describe("createIngestSources: per-source ingest rate keys from client-declared hosts stay bounded", () => {
  it("keys an address alone, or an address and a host", () => {
    const sources = createIngestSources();
    expect(sources.key("10.0.0.1", null)).toBe("ip:10.0.0.1");
    expect(sources.key("10.0.0.1", "web1")).toBe("ip:10.0.0.1 host:web1");
    expect(sources.key("10.0.0.2", "web1")).toBe("ip:10.0.0.2 host:web1");
  });

  it("past maxHostsPerAddress or maxHosts a new host shares its address's key; known hosts keep theirs", () => {
    const clock = { nowMs: 0 };
    const sources = createIngestSources({ maxHostsPerAddress: 2, maxHosts: 3, now: () => clock.nowMs });
    expect(sources.key("a", "h1")).toBe("ip:a host:h1");
    expect(sources.key("a", "h2")).toBe("ip:a host:h2");
    expect(sources.key("a", "h3")).toBe("ip:a");
    expect(sources.key("a", "h1")).toBe("ip:a host:h1");
    expect(sources.key("b", "h1")).toBe("ip:b host:h1");
    // Three host keys in all, held a:2 b:1. A third address is owed a fair share (3 slots / 3 addresses):
    // it takes the least recently seen slot of the address over its share (a's h2), not nothing.
    expect(sources.key("c", "h1")).toBe("ip:c host:h1");
    expect(sources.key("a", "h2")).toBe("ip:a");
    expect(sources.key("c", "h2")).toBe("ip:c");
    expect(sources.size).toBe(3);
    // 10_000 rotated names from one address cost nothing more.
    for (let i = 0; i < 10_000; i++) sources.key("a", `rot${i}`);
    expect(sources.size).toBe(3);
  });

  // Attack review (P4b): ten addresses naming 1000 hosts each took all 10,000 host slots first come, and
  // every host of another proxy shared one bucket again.
  it("ten addresses filling every host slot do not leave another proxy's hosts sharing one bucket", () => {
    const sources = createIngestSources({ maxHostsPerAddress: 1000, maxHosts: 10_000, now: () => 0 });
    for (let a = 0; a < 10; a++) for (let h = 0; h < 1000; h++) sources.key(`10.0.0.${a}`, `x${h}`);
    expect(sources.size).toBe(10_000);
    expect(sources.key("192.0.2.1", "web1")).toBe("ip:192.0.2.1 host:web1");
    expect(sources.key("192.0.2.1", "web2")).toBe("ip:192.0.2.1 host:web2");
    expect(sources.key("192.0.2.1", "web1")).toBe("ip:192.0.2.1 host:web1");
    expect(sources.size).toBe(10_000);
    // The flooders, at or under their share now (10,000 / 11 addresses = 909), get no slot back by asking.
    let regained = 0;
    for (let h = 0; h < 1000; h++) if (sources.key("10.0.0.0", `y${h}`) !== "ip:10.0.0.0") regained++;
    expect(regained).toBe(0);
  });

  it("a host silent past idleMs gives its place up; one that keeps reporting does not", () => {
    const clock = { nowMs: 0 };
    const sources = createIngestSources({ maxHostsPerAddress: 2, idleMs: 1000, now: () => clock.nowMs });
    sources.key("a", "quiet");
    sources.key("a", "busy");
    clock.nowMs = 900;
    sources.key("a", "busy");
    clock.nowMs = 1500;
    expect(sources.key("a", "new")).toBe("ip:a host:new");
    expect(sources.key("a", "busy")).toBe("ip:a host:busy");
    expect(sources.key("a", "quiet")).toBe("ip:a");
    expect(sources.size).toBe(2);
  });
});

describe("createSourceRateLimiter: a write takes from its own bucket and its address's total", () => {
  const limiter = () => {
    const now = () => 0;
    return createSourceRateLimiter(createRateLimiter({ ratePerSec: 10, burst: 20, maxKeys: 100, now }), createRateLimiter({ ratePerSec: 50, burst: 100, maxKeys: 100, now }));
  };

  it("rotating host keys of one address stop at the address's burst, naming LIVEDASH_INGEST_ADDRESS_RATE; a refused take costs nothing", () => {
    const rate = limiter();
    for (let i = 0; i < 5; i++) expect(rate.take(`ip:10.0.0.1 host:h${i}`, 20)).toEqual({ ok: true });
    expect(rate.take("ip:10.0.0.1 host:h5", 20)).toMatchObject({ ok: false, setting: "LIVEDASH_INGEST_ADDRESS_RATE" });
    expect(rate.take("ip:10.0.0.2 host:h0", 20)).toEqual({ ok: true });
    // Refused by its own bucket (20 taken already): the address's total is not charged for it.
    expect(rate.take("ip:10.0.0.2 host:h0", 20)).toMatchObject({ ok: false, setting: "LIVEDASH_INGEST_RATE" });
    for (let i = 1; i < 5; i++) expect(rate.take(`ip:10.0.0.2 host:h${i}`, 20)).toEqual({ ok: true });
  });

  it("IPv6 peers of one /64 share one total (a host picks any source address in its /64)", () => {
    const rate = limiter();
    for (let i = 0; i < 5; i++) expect(rate.take(`ip:2001:db8:1:2::${i + 1} host:h${i}`, 20)).toEqual({ ok: true });
    expect(rate.take("ip:2001:db8:1:2:ffff::9", 20)).toMatchObject({ ok: false, setting: "LIVEDASH_INGEST_ADDRESS_RATE" });
    expect(rate.take("ip:2001:db8:1:3::1", 20)).toEqual({ ok: true });
  });
});

describe("declaredHost (X-Livedash-Host)", () => {
  it("absent or empty is no host; a value is percent-decoded and checked as a label value; refusals name the header", () => {
    expect(declaredHost(undefined)).toEqual({ ok: true, host: null });
    expect(declaredHost([""])).toEqual({ ok: true, host: null });
    expect(declaredHost(["w%C3%A9b-1"])).toEqual({ ok: true, host: "wéb-1" });
    expect(declaredHost(["a", "b"])).toEqual({ ok: false, message: "x-livedash-host: sent 2 times; send it once" });
    expect(declaredHost(["%E2%80"])).toMatchObject({ ok: false, message: expect.stringMatching(/^x-livedash-host: not valid percent-encoded UTF-8/) });
    expect(declaredHost(["a%01b"])).toEqual({ ok: false, message: "x-livedash-host: label value must not contain control characters" });
  });
});
