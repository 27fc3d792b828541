import { describe, expect, it } from "vitest";
import { LIMIT_DEFAULTS } from "@livedash/events";
import { createConnectionLimiter, normalizeIp } from "../src/security/connection-limit";
import { createOriginCheck, normalizeOrigin } from "../src/security/origin";

describe("createOriginCheck", () => {
  const check = createOriginCheck(["http://localhost:3000", "https://Dash.Example.com", "https://x.example.com:443/"]);

  it("allows requests without Origin (curl, Node clients)", () => {
    expect(check(undefined)).toBe(true);
    expect(check("")).toBe(true);
  });

  it("matches scheme, host and port exactly, normalizing case and default ports", () => {
    expect(check("http://localhost:3000")).toBe(true);
    expect(check("https://dash.example.com")).toBe(true);
    expect(check("https://dash.example.com:443")).toBe(true);
    expect(check("https://x.example.com")).toBe(true);
    expect(check("http://localhost:3001")).toBe(false);
    expect(check("https://localhost:3000")).toBe(false);
    expect(check("http://127.0.0.1:3000")).toBe(false);
    expect(check("http://dash.example.com")).toBe(false);
    expect(check("https://evil.dash.example.com")).toBe(false);
    expect(check("https://dash.example.com.evil.com")).toBe(false);
  });

  it("refuses the opaque null origin and garbage unless listed", () => {
    expect(check("null")).toBe(false);
    expect(check("not a url")).toBe(false);
    expect(check("file:///etc/passwd")).toBe(false);
    expect(createOriginCheck(["null"])("null")).toBe(true);
  });

  it("* allows everything; an empty list allows only Origin-less requests", () => {
    expect(createOriginCheck(["*"])("https://anything.example")).toBe(true);
    expect(createOriginCheck([])("http://localhost:3000")).toBe(false);
    expect(createOriginCheck([" ", ""])(undefined)).toBe(true);
  });

  it("throws on entries that are not origins, naming them", () => {
    expect(() => createOriginCheck(["localhost:3000"])).toThrow(/'localhost:3000' is not an origin/);
    expect(() => createOriginCheck(["http://a.com/path"])).toThrow(/'http:\/\/a.com\/path' is not an origin/);
  });

  it("normalizeOrigin rejects paths, queries and credentials", () => {
    expect(normalizeOrigin("http://a.com/x")).toBeNull();
    expect(normalizeOrigin("http://a.com?x")).toBeNull();
    expect(normalizeOrigin("http://u:p@a.com")).toBeNull();
    expect(normalizeOrigin("HTTP://A.COM:80")).toBe("http://a.com");
  });
});

describe("createConnectionLimiter", () => {
  it("limits per address and frees on release", () => {
    const limiter = createConnectionLimiter({ maxPerIp: 2 });
    expect(limiter.acquire("1.1.1.1")).toBe(true);
    expect(limiter.acquire("1.1.1.1")).toBe(true);
    expect(limiter.acquire("1.1.1.1")).toBe(false);
    expect(limiter.acquire("2.2.2.2")).toBe(true);
    expect(limiter.count()).toBe(3);
    limiter.release("1.1.1.1");
    expect(limiter.acquire("1.1.1.1")).toBe(true);
    expect(limiter.countFor("1.1.1.1")).toBe(2);
  });

  it("does not leak: counts return to zero and extra releases are no-ops", () => {
    const limiter = createConnectionLimiter({ maxPerIp: 1000 });
    for (let i = 0; i < 500; i += 1) limiter.acquire(`10.0.${i % 7}.1`);
    for (let i = 0; i < 500; i += 1) limiter.release(`10.0.${i % 7}.1`);
    limiter.release("10.0.0.1");
    limiter.release("never-seen");
    expect(limiter.count()).toBe(0);
    expect(limiter.countFor("10.0.0.1")).toBe(0);
    expect(limiter.acquire("10.0.0.1")).toBe(true);
    expect(limiter.count()).toBe(1);
  });

  it("counts IPv4-mapped IPv6 and plain IPv4 as one address", () => {
    const limiter = createConnectionLimiter({ maxPerIp: 1 });
    expect(limiter.acquire("::ffff:127.0.0.1")).toBe(true);
    expect(limiter.acquire("127.0.0.1")).toBe(false);
    expect(normalizeIp("::1")).toBe("::1");
  });

  it("defaults to LIMIT_DEFAULTS.maxConnectionsPerIp (1_000) per address", () => {
    const limiter = createConnectionLimiter();
    expect(LIMIT_DEFAULTS.maxConnectionsPerIp).toBe(1_000);
    for (let i = 0; i < 1_000; i += 1) expect(limiter.acquire("a")).toBe(true);
    expect(limiter.acquire("a")).toBe(false);
  });
});
