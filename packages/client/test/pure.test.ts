import { describe, expect, it } from "vitest";
import { StateStore } from "../src/connection-state";
import { fullJitterDelayMs } from "../src/ladder/backoff";
import { SeenIds } from "../src/ladder/seen-ids";
import { LADDER_DEFAULTS, resolveLadderOptions } from "../src/options";
import { createLivedashClient } from "../src/index";

describe("fullJitterDelayMs", () => {
  it("stays within [0, min(max, base * 2^attempt)]", () => {
    expect(fullJitterDelayMs(0, 500, 10_000, () => 0.999)).toBe(499);
    expect(fullJitterDelayMs(3, 500, 10_000, () => 0.5)).toBe(2_000);
    expect(fullJitterDelayMs(10, 500, 10_000, () => 0.999)).toBe(9_990);
    expect(fullJitterDelayMs(1_000, 500, 10_000, () => 0)).toBe(0);
  });
});

describe("SeenIds", () => {
  it("remembers the last `capacity` ids and evicts the oldest", () => {
    const seen = new SeenIds(3);
    expect(["a", "b", "c"].map((id) => seen.add(id))).toEqual([true, true, true]);
    expect(seen.add("b")).toBe(false);
    expect(seen.add("d")).toBe(true);
    expect(seen.has("a")).toBe(false);
    expect(seen.has("b") && seen.has("c") && seen.has("d")).toBe(true);
    expect(seen.size).toBe(3);
  });
});

describe("StateStore", () => {
  it("reports changes only, and lets a listener unsubscribe itself", () => {
    const store = new StateStore({ transport: "ws", status: "connecting", lastEventAt: null, reconnects: 0, error: null, lastCoalescedAt: null });
    const seen: string[] = [];
    const stop = store.subscribe((s) => {
      seen.push(s.status);
      stop();
    });
    store.update({ status: "connecting" });
    store.update({ status: "live" });
    store.update({ status: "reconnecting" });
    expect(seen).toEqual(["live"]);
  });
});

describe("options", () => {
  it("fills documented defaults and names the field and limit on bad values", () => {
    expect(resolveLadderOptions({ probeIntervalMs: 1_000 })).toEqual({ ...LADDER_DEFAULTS, probeIntervalMs: 1_000 });
    // Every documented default is itself within the limits the schema enforces.
    expect(resolveLadderOptions({})).toEqual(LADDER_DEFAULTS);
    expect(() => resolveLadderOptions({ probeIntervalMs: 120_000 })).toThrow(/probeIntervalMs must be at most 60000/);
    expect(() => resolveLadderOptions({ wsOpenTimeoutMs: 1.5 })).toThrow(/wsOpenTimeoutMs must be an integer/);
    expect(() => createLivedashClient({ url: "ftp://x" })).toThrow(/url must start with http/);
    expect(() => createLivedashClient({ url: "nope" })).toThrow(/url must be the server's base URL/);
    expect(() => createLivedashClient({ url: "http://127.0.0.1:1", transport: "x" as "ws" })).toThrow(/transport must be one of/);
  });
});
