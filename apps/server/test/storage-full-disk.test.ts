import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { httpClient } from "./helpers/live-clients";
import { ingest, startTestServer } from "./helpers/server";
import { tempDataDir } from "./helpers/data-dir";

let data: ReturnType<typeof tempDataDir>;
let server: Awaited<ReturnType<typeof startTestServer>> | undefined;

beforeEach(() => {
  data = tempDataDir();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  data.remove();
});

const now = Date.now();
const points = (series: string, n: number) => Array.from({ length: n }, (_, i) => ({ series, ts: now - n * 1000 + i * 1000, value: Math.random() }));

describe("a full disk", () => {
  it("answers ingest with 507 and a clear message, keeps serving reads, and recovers when space returns", async () => {
    // A long flush interval: the test commits by hand, so the order of events is its own.
    server = await startTestServer({ LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir }, { storage: { flushIntervalMs: 3_600_000 } });
    const disk = server.services.storage.disk!;
    expect((await ingest(server.url, points("app.kept", 10))).status).toBe(200);
    expect(disk.flush()).toBe(true);

    disk.limitPages(1); // SQLite raises it to the current size: the file cannot grow
    for (let i = 0; i < 50; i++) expect((await ingest(server.url, points(`app.fill${i}`, 500))).status).toBe(200);
    expect(disk.flush()).toBe(false);

    const refused = await ingest(server.url, points("app.kept", 1));
    expect(refused.status).toBe(507);
    // The body's code names the condition, not "service unavailable" (which invites a quick retry).
    expect(refused.body).toMatchObject({ error: { code: "INSUFFICIENT_STORAGE" } });
    expect(refused.body).toMatchObject({ error: { message: expect.stringMatching(/^storage is full: the data file .*livedash\.db cannot grow; free disk space and ingest resumes by itself/) } });
    const trpc = await fetch(`${server.url}/trpc/metrics.ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points: points("app.kept", 1) }) });
    expect(trpc.status).toBe(507);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^livedash_storage_full 1$/m);

    const history = await httpClient(server.url).metrics.history.query({ series: ["app.kept", "app.fill7"], from: now - 600_000, to: now, maxPoints: 1000 });
    expect(history.map((h) => h.points.length)).toEqual([10, 500]);

    disk.limitPages(null);
    expect(disk.flush()).toBe(true);
    expect((await ingest(server.url, points("app.kept", 1))).status).toBe(200);
  });
});
