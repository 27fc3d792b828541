import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Point } from "@livedash/events";
import { createRedisEngine } from "../src/engine/redis-engine";
import type { ReplayResult } from "../src/engine/types";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});

const points = (value: number): Point[] => [{ series: "shared.s", ts: 1_700_000_000_000 + value, value }];

describe("redis engine: replays shared by clients resuming from the same id", () => {
  // The cause of a redis-cluster failover flake (2285 of 2699 values): a subscriber attached live
  // after this instance's reader delivered entry N, joined a replay that was read before N existed,
  // and so got N from neither the replay nor the live bus.
  it("a replay joined after the reader delivered a newer entry still reaches that entry", async () => {
    const streamKey = `test:${randomUUID()}`;
    const writer = await createRedisEngine({ url: redis.url, streamKey, blockMs: 200 });
    // Created but not started: its reader delivers nothing until start(), so a replay waits for it.
    const reader = await createRedisEngine({ url: redis.url, streamKey, blockMs: 200 });
    try {
      await writer.start();
      const x = await writer.publish(points(1));
      const m = await writer.publish(points(2));
      await vi.waitFor(() => expect(reader.health().ready).toBe(true), { timeout: 5_000 });

      // The first client: its replay reads [m] now and waits until the reader delivered m.
      const first = reader.replayAfter(x);
      // Appended after that read (same command connection, so strictly after the XRANGE).
      const n = await writer.publish(points(3));

      // A second client attaches live while the reader delivers n (the warm-up delivers x, m, n in
      // one go before it settles waiting replays) and asks for the same id: it must get n somewhere.
      let joined: Promise<ReplayResult> | null = null;
      reader.onBatch((batch) => {
        if (batch.id === n) joined = reader.replayAfter(x);
      });
      await reader.start();
      expect(joined).not.toBeNull();
      expect(await first).toEqual({ ok: true, batches: [{ id: m, points: points(2) }] });
      expect(await joined!).toEqual({
        ok: true,
        batches: [
          { id: m, points: points(2) },
          { id: n, points: points(3) },
        ],
      });
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
