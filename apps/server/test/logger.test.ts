import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/logger";
import type { LivedashServer } from "../src/server";
import { captureLog } from "./helpers/log-capture";
import { startTestServer } from "./helpers/server";

const READ_TOKEN = "read-token-0123456789abcdef";
const INGEST_TOKEN = "ingest-token-0123456789abcdef";

const capture = captureLog;

describe("logger", () => {
  it("writes one JSON object per line at or above LIVEDASH_LOG's level", () => {
    const out = capture();
    const log = createLogger({ level: "warn", destination: out.stream });
    log.info("not at warn");
    log.warn({ collector: "host.cpu" }, "collector failed");
    log.error("broken");
    expect(out.records().map((r) => [r.level, r.msg])).toEqual([
      [40, "collector failed"],
      [50, "broken"],
    ]);
    expect(out.records()[0]).toMatchObject({ collector: "host.cpu", name: "livedash" });
  });

  it("never writes a token: headers, connectionParams, tickets, and secrets inside messages", () => {
    const out = capture();
    const log = createLogger({ level: "trace", destination: out.stream, secrets: [READ_TOKEN, INGEST_TOKEN] });
    log.info({ headers: { authorization: `Bearer ${READ_TOKEN}` }, connectionParams: { token: INGEST_TOKEN } }, "upgrade");
    log.info({ req: { headers: { authorization: "Bearer some-other-secret", cookie: "sid=abc" } } }, "request");
    log.error({ err: new Error(`GET /sse?series=a&ticket=t1.secretsig failed for ${READ_TOKEN}`) }, `refused ${INGEST_TOKEN}`);
    const text = out.text();
    for (const secret of [READ_TOKEN, INGEST_TOKEN, "some-other-secret", "sid=abc", "t1.secretsig"]) expect(text).not.toContain(secret);
    expect(text).toContain("[redacted]");
    expect(out.lines).toHaveLength(3);
  });
});

describe("request errors", () => {
  let server: LivedashServer | null = null;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = null;
  });

  it("a failing procedure logs one error line with the request id the response carries, and no token", async () => {
    const out = capture();
    server = await startTestServer({ LIVEDASH_LOG: "info", LIVEDASH_READ_TOKEN: READ_TOKEN, LIVEDASH_INGEST_TOKEN: INGEST_TOKEN }, { logDestination: out.stream });
    vi.spyOn(server.services.store, "catalog").mockImplementation(() => {
      throw new Error(`store broke while serving ${READ_TOKEN}`);
    });
    const res = await fetch(`${server.url}/trpc/metrics.catalog`, { headers: { authorization: `Bearer ${READ_TOKEN}`, "x-request-id": "probe-42" } });
    expect(res.status).toBe(500);
    expect(res.headers.get("x-request-id")).toBe("probe-42");
    const errors = out.records().filter((r) => r.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reqId: "probe-42", path: "metrics.catalog", msg: "procedure failed" });
    expect(out.text()).not.toContain(READ_TOKEN);
  });

  it("a route that throws synchronously answers 500 with its request id, logs one line and the process lives on", async () => {
    const out = capture();
    server = await startTestServer({ LIVEDASH_LOG: "info" }, { logDestination: out.stream });
    vi.spyOn(server.services, "engineMetrics").mockImplementation(() => {
      throw new Error("engine stats broke");
    });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(500);
    const reqId = res.headers.get("x-request-id");
    expect(reqId).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
    const errors = out.records().filter((r) => r.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reqId, method: "GET", path: "/metrics", msg: "request failed" });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
