import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createAggregateGroup } from "../src/live/aggregate-group";

// A real collection, so a test can tell "let go" from "still referenced somewhere".
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * The attack probe of 64 aggregations (2000 outputs each) held ~540 MB after a forced collection
 * whatever replayPoints said: an event let go of stayed in the kept-events array (only the head
 * index moved) until 1024 of them had gone, so a wide aggregation kept ~1000 events of points.
 */
describe("an aggregation's dropped kept events stayed referenced until 1024 were dropped", () => {
  it("an event past replayEvents is collectable at once", async () => {
    const group = createAggregateGroup({ op: "sum", by: ["host"] }, null, { replayEvents: 2, now: () => 10_000 });
    // Only the WeakRef outlives this function: the kept events are the one other reference.
    const ref = (() => {
      const first = group.feed("1-1", [{ series: 'a{host="x"}', ts: 1_000, value: 1 }]);
      expect(first).not.toBeNull();
      return new WeakRef(first!);
    })();
    for (let i = 2; i <= 5; i++) group.feed(`1-${i}`, [{ series: 'a{host="x"}', ts: i * 1_000, value: i }]);
    expect(group.stats().replayPoints).toBe(2);
    // WeakRefs hold their target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(ref.deref()).toBeUndefined();
    // What is kept still resumes exactly.
    expect(group.since("1-3", (a, b) => Number(a.split("-")[1]) - Number(b.split("-")[1]))?.map((e) => e.id)).toEqual(["1-4", "1-5"]);
  });
});
