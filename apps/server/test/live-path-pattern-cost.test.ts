import type { IdentifiedEvent, Point } from "@livedash/events";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { createMemoryEngine } from "../src/engine/memory-engine";
import { objectEncoder } from "../src/live/frames";
import { createLivePath } from "../src/live/live-path";
import { createPatternIndex } from "../src/live/pattern-index";
import type { Sink } from "../src/live/types";
import { countingIndex } from "./helpers/counting-index";

function sink(events: IdentifiedEvent[]): Sink<IdentifiedEvent> {
  return { transport: "caller", bufferedBytes: () => 0, write: (e) => events.push(e), closeSlow: () => undefined, onDrain: () => () => undefined };
}

/** The attack of review finding F3: every group a distinct set of globs that scan the whole name and miss. */
const adversarial = (group: number, pattern: number) => `n*${"a*".repeat(20)}Q${group}x${pattern}*${pattern % 10}`;

describe("live pattern matching cost is per distinct pattern and new series, not per group", () => {
  it("N groups sharing M globs: each new series name tests each distinct glob once", async () => {
    const engine = createMemoryEngine();
    const { index, counter } = countingIndex();
    const path = createLivePath(engine, {}, index);
    const groups = 40;
    const shared = Array.from({ length: 30 }, (_, p) => adversarial(0, p));
    const received: IdentifiedEvent[][] = [];
    for (let g = 0; g < groups; g++) {
      const events: IdentifiedEvent[] = [];
      received.push(events);
      // Distinct sets (one own exact name each) over the same 30 globs.
      path.subscribe({ sink: sink(events), encoder: objectEncoder, patterns: [...shared, `own.${g}`, "n*hit"] });
    }
    const newSeries = 25;
    const points: Point[] = Array.from({ length: newSeries }, (_, k) => ({ series: `n${"a".repeat(150)}${k}`, ts: 1, value: k }));
    points.push({ series: "nxhit", ts: 1, value: -1 }, { series: "own.7", ts: 1, value: -2 });
    await engine.publish(points);
    // 31 distinct globs x 27 new names; the old per-group matchers tested groups x globs x names (33,480).
    expect(counter.tests).toBe(31 * (newSeries + 2));
    expect(received[0]!.flatMap((e) => (e.event.type === "points" ? e.event.points.map((x) => x.value) : []))).toEqual([-1]);
    expect(received[7]!.flatMap((e) => (e.event.type === "points" ? e.event.points.map((x) => x.value) : []))).toEqual([-1, -2]);
    // Seen names are not tested again, and a group joining later reuses the results of the globs it shares.
    await engine.publish(points);
    path.subscribe({ sink: sink([]), encoder: objectEncoder, patterns: [...shared, "late*"] });
    const before = counter.tests;
    await engine.publish(points);
    expect(counter.tests - before).toBe(newSeries + 2); // only the one new glob, once per name
    path.close();
  });

  it("a poller re-subscribing the same globs each poll does not re-test the series it saw (idle patterns stay while there is room)", async () => {
    const engine = createMemoryEngine();
    const { index, counter } = countingIndex({ maxPatterns: 12 });
    const path = createLivePath(engine, {}, index);
    const globsOf = (prefix: string) => Array.from({ length: 10 }, (_, p) => `${prefix}*${p}`);
    const points: Point[] = Array.from({ length: 5 }, (_, k) => ({ series: `s.${k}`, ts: 1, value: k }));
    const poll = async (patterns: string[]) => {
      const sub = path.subscribe({ sink: sink([]), encoder: objectEncoder, patterns });
      await engine.publish(points);
      sub.unsubscribe();
    };
    await poll(globsOf("s"));
    expect(counter.tests).toBe(50);
    await poll(globsOf("s"));
    expect(counter.tests).toBe(50);
    // Ten other live globs need the room: the idle ones are dropped, not counted against the cap.
    await poll(globsOf("t"));
    expect(counter.tests).toBe(100);
    // At most maxPatterns stay compiled: the ten newest and two of the oldest.
    expect(index.stats()).toMatchObject({ patterns: 0, idle: 12, globs: 12 });
    path.close();
  });

  it("refuses patterns past the server-wide and per-address caps, naming the limit", () => {
    const engine = createMemoryEngine();
    const path = createLivePath(engine, {}, createPatternIndex({ maxPatterns: 10, maxPatternsPerAddress: 4 }));
    const subscribe = (patterns: string[], address?: string) => path.subscribe({ sink: sink([]), encoder: objectEncoder, patterns, address });
    const a = subscribe(["a.*", "b.*", "c.*"], "10.0.0.1");
    const refused = (() => {
      try {
        subscribe(["d.*", "e.*"], "10.0.0.1");
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    expect((refused as TRPCError).message).toMatch(/at most 4 distinct patterns \(LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS\)/);
    // Patterns already held by the address do not count twice; freeing them makes room again.
    subscribe(["a.*", "b.*", "c.*", "d.*"], "10.0.0.1");
    subscribe(["x0.*", "x1.*", "x2.*", "x3.*"], "10.0.0.2");
    const x = subscribe(["x4.*", "x5.*"], "10.0.0.4");
    expect(() => subscribe(["y.*"], "10.0.0.3")).toThrow(/at most 10 distinct patterns \(LIVEDASH_MAX_LIVE_PATTERNS\)/);
    a.unsubscribe();
    x.unsubscribe();
    // Room server-wide again, but 10.0.0.1 still holds a-d through its second subscription.
    expect(() => subscribe(["y.*"], "10.0.0.3")).not.toThrow();
    expect(() => subscribe(["e.*"], "10.0.0.1")).toThrow(/LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS/);
    path.close();
    // Every group gone: every pattern released, server-wide and per address.
    expect(() => subscribe(Array.from({ length: 4 }, (_, i) => `z${i}.*`), "10.0.0.1")).not.toThrow();
  });
});
