import type { Point } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../../src/server";
import { PATHS, openPausable } from "../helpers/pausable-live";
import type { PausableLive } from "../helpers/pausable-live";
import { startTestServer } from "../helpers/server";
import { reportResult } from "./helpers/results";

const BATCHES = 1_500;
const SERIES = 10;
const PER_SERIES = 10;
const WAIT = { timeout: 90_000, interval: 50 };

/** 100 points, ~6.5 KB of event JSON; values count up across the whole backlog. */
function batch(round: number): Point[] {
  const points: Point[] = [];
  for (let k = 0; k < PER_SERIES; k++) {
    for (let s = 0; s < SERIES; s++) points.push({ series: `backlog.s${s}`, ts: 1_700_000_000_000 + round * PER_SERIES + k, value: (round * PER_SERIES + k) * SERIES + s });
  }
  return points;
}

// A client that was away while ~10 MB were published resumes by id over a socket that stops reading.
// The replay must arrive whole (paused at the high watermark, continued on drain), never coalesced
// to latest-per-series with the client's last id moved past points it never got.
describe.each(PATHS)("a large backlog resumed over %s", (path) => {
  let server: LivedashServer;
  let client: PausableLive | null = null;
  beforeAll(async () => {
    server = await startTestServer({}, { backpressure: { highWatermarkBytes: 65_536, lowWatermarkBytes: 16_384, hardCapBytes: 1_048_576, maxSlowMs: 60_000 } });
  });
  afterAll(async () => {
    await client?.close();
    await server.close();
  });

  it("arrives exactly once, in order, with no reset and nothing coalesced", { timeout: 120_000 }, async () => {
    const { engine, hub } = server.services;
    const anchor = await engine.publish([{ series: "backlog.s0", ts: 1, value: -1 }]);
    for (let round = 0; round < BATCHES; round++) await engine.publish(batch(round));
    const before = hub.stats();
    const backlogBytes = JSON.stringify(Array.from({ length: BATCHES }, (_, round) => ({ type: "points", points: batch(round) }))).length;
    const startedMs = Date.now();

    client = openPausable(path, server, { series: ["backlog.*"], lastEventId: anchor }, path !== "poll");
    if (path !== "poll") {
      // Stopped reading: the replay fills the socket and must wait for it, not coalesce or give up.
      await vi.waitFor(() => {
        const now = hub.stats();
        expect(now.replayWaits + now.coalescedEvents + now.slowClosed).toBeGreaterThan(before.replayWaits + before.coalescedEvents + before.slowClosed);
      }, WAIT);
      client.resume();
    }
    const total = BATCHES * SERIES * PER_SERIES;
    const points = () => client!.events.flatMap((e) => (e.data.type === "points" ? e.data.points : []));
    await vi.waitFor(() => expect(points().length).toBeGreaterThanOrEqual(total), WAIT);

    const values = points().map((p) => p.value);
    expect(values.length).toBe(total);
    for (let i = 0; i < total; i++) if (values[i] !== i) expect.fail(`point ${i}: got value ${values[i]}`);
    expect(client.events.every((e) => e.data.type === "points" && e.data.coalesced === undefined)).toBe(true);
    const ids = client.events.map((e) => e.id);
    for (let i = 1; i < ids.length; i++) expect(engine.compareIds(ids[i]!, ids[i - 1]!)).toBeGreaterThan(0);
    expect(hub.stats().slowClosed).toBe(before.slowClosed);
    const after = hub.stats();
    reportResult(`backlog-resume-${path}`, {
      backlogMB: +(backlogBytes / 1_048_576).toFixed(1),
      points: total,
      events: client.events.length,
      replayWaits: after.replayWaits - before.replayWaits,
      coalescedEvents: after.coalescedEvents - before.coalescedEvents,
      resumeToLastPointMs: Date.now() - startedMs,
    });
  });
});
