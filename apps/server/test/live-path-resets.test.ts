import type { IdentifiedEvent, Point } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { createMemoryEngine } from "../src/engine/memory-engine";
import type { Engine, ReplayResult } from "../src/engine/types";
import { objectEncoder } from "../src/live/frames";
import { createLivePath } from "../src/live/live-path";
import type { BackpressureOptions, Sink } from "../src/live/types";

const p = (value: number): Point[] => [{ series: "a", ts: value, value }];

/** A memory engine whose replays answer only when the test says so (the window for gaps and overflow). */
function gatedEngine(override?: (id: string) => Promise<ReplayResult>) {
  const memory = createMemoryEngine();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const engine: Engine = {
    ...memory,
    replayAfter: async (id) => {
      const result = override ? await override(id) : await memory.replayAfter(id);
      await gate;
      return result;
    },
  };
  return { engine, release };
}

function subscriber(engine: Engine, lastEventId?: string, options?: BackpressureOptions) {
  const path = createLivePath(engine, options);
  const events: IdentifiedEvent[] = [];
  const sink: Sink<IdentifiedEvent> = { transport: "caller", bufferedBytes: () => 0, write: (e) => events.push(e), closeSlow: () => undefined, onDrain: () => () => undefined };
  const subscription = path.subscribe({ sink, encoder: objectEncoder, patterns: ["a"], lastEventId });
  return { path, events, subscription };
}

/** Every id above the one before, starting above the id the client resumed from. */
function expectStrictlyIncreasing(engine: Engine, events: IdentifiedEvent[], resumedFrom?: string) {
  const ids = [...(resumedFrom ? [resumedFrom] : []), ...events.map((e) => e.id)];
  for (let i = 1; i < ids.length; i++) expect(engine.compareIds(ids[i]!, ids[i - 1]!), `${ids[i]} after ${ids[i - 1]}`).toBeGreaterThan(0);
}

const summary = (events: IdentifiedEvent[]) => events.map((e) => (e.event.type === "points" ? e.event.points.map((x) => x.value) : `reset:${e.event.reason}`));

describe("resets on the live path carry an id above everything the subscriber got", () => {
  it("after a replay that failed on an id from elsewhere: first, at the newest id", async () => {
    const { engine, release } = gatedEngine();
    await engine.publish(p(1));
    const newest = await engine.publish(p(2));
    const { events, subscription } = subscriber(engine, "zzzzzz-5");
    release();
    await subscription.settled;
    await engine.publish(p(3));
    expect(summary(events)).toEqual(["reset:foreign-epoch", [3]]);
    expect(events[0]!.id).toBe(newest);
    expectStrictlyIncreasing(engine, events);
  });

  it("after a 'lagged' replay at the newest id: the next batch carries the reset (nothing newer exists yet)", async () => {
    const memory = createMemoryEngine();
    await memory.publish(p(1));
    const newest = await memory.publish(p(2));
    const { engine, release } = gatedEngine(async () => ({ ok: false, reason: "lagged" }));
    Object.assign(engine, { publish: memory.publish, onBatch: memory.onBatch, latestId: memory.latestId, startId: memory.startId, compareIds: memory.compareIds });
    const { events, subscription } = subscriber(engine, newest);
    release();
    await subscription.settled;
    expect(events).toEqual([]);
    const third = await engine.publish(p(3));
    await engine.publish(p(4));
    // The reset stands for batch 3 (history has it), so 3 is not sent again under the same id.
    expect(summary(events)).toEqual(["reset:lagged", [4]]);
    expect(events[0]!.id).toBe(third);
    expectStrictlyIncreasing(engine, events, newest);
  });

  it("a gap reported while replaying ends the replay in a reset above the resumed id", async () => {
    const { engine, release } = gatedEngine();
    const first = await engine.publish(p(1));
    await engine.publish(p(2));
    const { path, events, subscription } = subscriber(engine, first);
    path.resetAll("engine-restarted");
    expect(events).toEqual([]);
    release();
    await subscription.settled;
    await engine.publish(p(3));
    expect(summary(events)).toEqual(["reset:engine-restarted", [3]]);
    expectStrictlyIncreasing(engine, events, first);
  });

  it("a gap reported before the entry that revealed it is delivered: that entry's id carries the reset", async () => {
    // The redis reader checks an entry's chain link before delivering it, so at the gap the engine's
    // newest id is one the subscriber already has.
    const engine = createMemoryEngine();
    const { path, events } = subscriber(engine);
    await engine.publish(p(1));
    const second = await engine.publish(p(2));
    path.resetAll("lagged");
    expect(summary(events)).toEqual([[1], [2]]);
    const revealing = await engine.publish(p(3));
    await engine.publish(p(4));
    expect(summary(events)).toEqual([[1], [2], "reset:lagged", [4]]);
    expect(events[1]!.id).toBe(second);
    expect(events[2]!.id).toBe(revealing);
    expectStrictlyIncreasing(engine, events);
  });

  it("a replay that falls too far behind the live stream ends in 'lagged' at the newest id", async () => {
    const { engine, release } = gatedEngine();
    const first = await engine.publish(p(1));
    const { events, subscription } = subscriber(engine, first, { maxHeldBatches: 3 });
    let newest = first;
    for (let i = 2; i <= 8; i++) newest = await engine.publish(p(i));
    release();
    await subscription.settled;
    await engine.publish(p(9));
    expect(summary(events)).toEqual(["reset:lagged", [9]]);
    expect(events[0]!.id).toBe(newest);
    expectStrictlyIncreasing(engine, events, first);
  });

  it("a stream recreated empty (no newer batch at all) resets at once, just above the subscriber's id", async () => {
    const memory = createMemoryEngine();
    let lost = false;
    const engine: Engine = { ...memory, latestId: () => (lost ? null : memory.latestId()), idAfter: (id) => `${id}1` };
    const { path, events } = subscriber(engine);
    const last = await engine.publish(p(1));
    lost = true;
    path.resetAll("engine-restarted");
    expect(summary(events)).toEqual([[1], "reset:engine-restarted"]);
    expect(events[1]!.id).toBe(`${last}1`);
  });
});
