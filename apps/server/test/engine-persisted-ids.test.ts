import type { Point } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { createMemoryEngine } from "../src/engine/memory-engine";
import type { PersistedIds } from "../src/engine/memory-engine";

const p = (value: number): Point[] => [{ series: "a", ts: value, value }];

/** A persister in memory: what the disk store does, minus the disk. */
function fakePersisted(seq: number, batches: { seq: number; points: Point[] }[]) {
  const reservations: number[] = [];
  const recorded: number[] = [];
  const persisted: PersistedIds = {
    epoch: "ep",
    seq,
    batches,
    reserve: (s) => {
      reservations.push(s + 100);
      return s + 100;
    },
    record: (s) => void recorded.push(s),
  };
  return { persisted, reservations, recorded };
}

describe("memory engine with persisted ids", () => {
  it("continues the stored epoch after a clean stop and replays the logged window", async () => {
    const { persisted, recorded } = fakePersisted(3, [1, 2, 3].map((s) => ({ seq: s, points: p(s) })));
    const engine = createMemoryEngine({ persisted });
    expect(await engine.publish(p(4))).toBe("ep-4");
    expect(recorded).toEqual([4]);
    const replay = await engine.replayAfter("ep-1");
    expect(replay).toEqual({ ok: true, batches: [2, 3, 4].map((s) => ({ id: `ep-${s}`, points: p(s) })) });
  });

  it("after a crash starts past the reservation: ids jump, never repeat, and replay spans the jump", async () => {
    // The log kept 1..3; ids up to 103 may have been handed out before the crash.
    const { persisted, reservations } = fakePersisted(103, [1, 2, 3].map((s) => ({ seq: s, points: p(s) })));
    const engine = createMemoryEngine({ persisted });
    expect(await engine.publish(p(104))).toBe("ep-104");
    // A client that saw 2 gets 3 and the new batch; one that saw a lost id (50) gets the new batch only.
    expect(await engine.replayAfter("ep-2")).toEqual({ ok: true, batches: [{ id: "ep-3", points: p(3) }, { id: "ep-104", points: p(104) }] });
    expect(await engine.replayAfter("ep-50")).toEqual({ ok: true, batches: [{ id: "ep-104", points: p(104) }] });
    expect(await engine.replayAfter("ep-104")).toEqual({ ok: true, batches: [] });
    expect(await engine.replayAfter("ep-105")).toEqual({ ok: false, reason: "unknown-id" });
    expect(reservations).toEqual([203]);
  });

  it("reserves again before passing the reservation", async () => {
    const { persisted, reservations } = fakePersisted(0, []);
    const engine = createMemoryEngine({ persisted });
    for (let i = 0; i < 250; i++) await engine.publish(p(i));
    // 0 -> 100 at start, at 101 -> 201, at 202 -> 302.
    expect(reservations).toEqual([100, 201, 302]);
    expect(await engine.replayAfter("ep-0")).toMatchObject({ ok: true });
  });
});
