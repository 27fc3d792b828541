import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import { captureLog } from "./helpers/log-capture";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 20_000, interval: 25 };

describe("no internal error text to unauthenticated callers", () => {
  let redis: TestRedis;
  let server: LivedashServer;
  const log = captureLog();
  beforeAll(async () => {
    redis = await startRedis();
    server = await startTestServer({ REDIS_URL: redis.url, LIVEDASH_LOG: "info" }, { logDestination: log.stream });
  }, 60_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.close();
    await redis?.stop();
  }, 30_000);

  it("healthz and ingest 503 bodies name the state, not the raw Redis error (address, errno); the log has it", async () => {
    await redis.stop();
    // What raw Redis/ioredis errors carry: errno names, the store's internal address, client internals.
    const internal = new RegExp(`ECONNREFUSED|ETIMEDOUT|ENOTFOUND|127\\.0\\.0\\.1|:${redis.port}\\b|maxRetriesPerRequest|max retries|Connection is closed`);

    await vi.waitFor(async () => expect((await fetch(`${server.url}/healthz`)).status).toBe(503), WAIT);
    const health = await (await fetch(`${server.url}/healthz`)).text();
    expect(JSON.parse(health)).toMatchObject({ status: "degraded", engine: "redis", ready: false, detail: expect.stringMatching(/^redis (connecting|reconnecting|connect|wait|close|end)$/) });
    expect(health).not.toMatch(internal);

    const refused = await ingest(server.url, [{ series: "e.x", value: 1 }]);
    expect(refused.status).toBe(503);
    const text = JSON.stringify(refused.body);
    expect(text).toMatch(/redis is unavailable/);
    expect(text).not.toMatch(internal);

    await expect(httpClient(server.url).metrics.ingest.mutate({ points: [{ series: "e.x", value: 1 }] })).rejects.toSatisfy(
      (error: Error) => /redis is unavailable/.test(error.message) && !internal.test(error.message),
    );

    // The operator still gets the cause, in the server's log.
    await vi.waitFor(() => expect(log.lines.some((line) => internal.test(line))).toBe(true), WAIT);
  }, 60_000);
});

describe("an unexpected error inside a procedure", () => {
  let server: LivedashServer;
  const log = captureLog();
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_LOG: "info" }, { logDestination: log.stream });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await server.close();
  });

  it("answers 500 'internal server error' and logs the raw message", async () => {
    const raw = "connect ECONNREFUSED 10.1.2.3:6379";
    // A store that fails the way a remote backend does; the procedure does not catch it.
    vi.spyOn(server.services.store, "catalog").mockImplementation(() => {
      throw new Error(raw);
    });
    const res = await fetch(`${server.url}/trpc/metrics.catalog`);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain("10.1.2.3");
    expect(JSON.parse(body)).toMatchObject({ error: { message: "internal server error", data: { code: "INTERNAL_SERVER_ERROR" } } });
    await vi.waitFor(() => expect(log.lines.some((line) => line.includes(raw))).toBe(true));
  });
});
