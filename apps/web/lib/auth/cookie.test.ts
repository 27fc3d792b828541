import { describe, expect, it } from "vitest";
import { cookieKeyFor, signSessionCookie, verifySessionCookie } from "./cookie";

const KEY = cookieKeyFor("read-token-0123456789abcdef");
const SID = "A".repeat(43);
const NOW = 1_800_000_000_000;

describe("session cookie signing", () => {
  it("verifies its own cookie until it expires", () => {
    const value = signSessionCookie(KEY, SID, NOW + 60_000);
    expect(verifySessionCookie(KEY, value, NOW)).toEqual({ sessionId: SID, expiresAt: NOW + 60_000 });
    expect(verifySessionCookie(KEY, value, NOW + 60_000)).toBeNull();
  });

  it("refuses a cookie whose id, expiry or signature was changed", () => {
    const value = signSessionCookie(KEY, SID, NOW + 60_000);
    const [sid, exp, sig] = value.split(".") as [string, string, string];
    expect(verifySessionCookie(KEY, `${"B".repeat(43)}.${exp}.${sig}`, NOW)).toBeNull();
    // A later expiry (extending one's own session) breaks the signature.
    expect(verifySessionCookie(KEY, `${sid}.${Number(exp) + 3_600_000}.${sig}`, NOW)).toBeNull();
    const flipped = sig.slice(0, -1) + (sig.endsWith("A") ? "B" : "A");
    expect(verifySessionCookie(KEY, `${sid}.${exp}.${flipped}`, NOW)).toBeNull();
  });

  it("refuses a cookie signed with another read token's key", () => {
    const other = signSessionCookie(cookieKeyFor("another-read-token-0123456789"), SID, NOW + 60_000);
    expect(verifySessionCookie(KEY, other, NOW)).toBeNull();
  });

  it("refuses malformed values without throwing", () => {
    for (const bad of [undefined, "", "x", `${SID}.${NOW}`, `${SID}.${NOW}.${"A".repeat(42)}`, "a.b.c", "A".repeat(10_000)]) {
      expect(verifySessionCookie(KEY, bad, NOW)).toBeNull();
    }
  });

  it("derives a key that is not the token itself", () => {
    expect(KEY.toString("utf8")).not.toContain("read-token");
    expect(KEY.length).toBe(32);
  });
});
