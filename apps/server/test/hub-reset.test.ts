import { describe, expect, it } from "vitest";
import { createMemoryEngine } from "../src/engine/memory-engine";
import type { Engine, ReplayResult } from "../src/engine/types";
import { plainSseFrameEncoder } from "../src/hub/frames";
import { createHub } from "../src/hub/hub";
import type { Sink } from "../src/hub/types";

function recordingSink(frames: string[]): Sink {
  return { transport: "sse", bufferedBytes: () => 0, write: (f) => frames.push(f.toString()), closeSlow: () => undefined, onDrain: () => () => undefined };
}

describe("hub.resetAll", () => {
  it("reaches a subscriber that was still replaying when the gap was reported, after its replay", async () => {
    const memory = createMemoryEngine();
    const firstId = await memory.publish([{ series: "a", ts: 1, value: 1 }]);
    await memory.publish([{ series: "a", ts: 2, value: 2 }]);
    let releaseReplay!: () => void;
    const replayGate = new Promise<void>((resolve) => (releaseReplay = resolve));
    // The same engine, but its replay answers only when the test lets it: the window for a gap report.
    const engine: Engine = {
      ...memory,
      replayAfter: async (id): Promise<ReplayResult> => {
        const result = await memory.replayAfter(id);
        await replayGate;
        return result;
      },
    };
    const hub = createHub(engine);
    const frames: string[] = [];
    const subscribed = hub.subscribe({ sink: recordingSink(frames), encoder: plainSseFrameEncoder, patterns: ["a"], lastEventId: firstId });
    hub.resetAll("engine-restarted");
    expect(frames).toEqual([]);
    releaseReplay();
    await subscribed;
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^event: points\n/);
    expect(frames[1]).toMatch(/^event: reset\n.*\ndata: \{"type":"reset","reason":"engine-restarted"\}/s);
  });
});
