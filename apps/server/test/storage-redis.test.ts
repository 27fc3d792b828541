import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { tempDataDir } from "./helpers/data-dir";
import { httpClient } from "./helpers/live-clients";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { ingest, startTestServer } from "./helpers/server";

let redis: TestRedis;
let data: ReturnType<typeof tempDataDir>;
const servers: LivedashServer[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(() => {
  data = tempDataDir();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  data.remove();
});

const stream = `livedash:storage-test:${Date.now()}`;
const start = async () => {
  const server = await startTestServer({ REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: stream, LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir });
  servers.push(server);
  return server;
};

describe("redis engine on a disk store", () => {
  it("feeds the instance's own store from the stream, and a restart does not store the warm-up twice", async () => {
    const now = Date.now();
    const first = await start();
    expect((await ingest(first.url, [1, 2, 3].map((v) => ({ series: "app.redis", ts: now - 10_000 + v, value: v })))).status).toBe(200);
    const query = { series: ["app.redis"], from: now - 60_000, to: now + 1000, maxPoints: 100 };
    await vi.waitFor(async () => expect((await httpClient(first.url).metrics.history.query(query))[0]!.points).toHaveLength(3), { timeout: 10_000, interval: 50 });
    await first.close();
    servers.length = 0;

    // The second run warms up from the stream (which still holds those 3 points) onto the same store.
    const second = await start();
    expect((await ingest(second.url, [{ series: "app.redis", ts: now - 10_000 + 4, value: 4 }])).status).toBe(200);
    await vi.waitFor(async () => expect((await httpClient(second.url).metrics.history.query(query))[0]!.points.map((p) => p.value)).toEqual([1, 2, 3, 4]), { timeout: 10_000, interval: 50 });
  });
});
