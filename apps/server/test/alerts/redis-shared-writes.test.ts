import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config";
import { createServer } from "../../src/server";
import type { LivedashServer } from "../../src/server";
import { tempDataDir } from "../helpers/data-dir";
import { ingest } from "../helpers/server";
import { getAlerts, useCleanups, useRedis } from "./helpers";

// Issue #14 server gap: with Redis, what the dashboard writes (rules, user annotations) reached only the
// instance that took the request; the next page load behind the load balancer could miss it.
describe("dashboard writes shared by every Redis-backed instance", () => {
  const redis = useRedis();
  const cleanups = useCleanups();

  async function startInstance(stream: string, dataDir?: string): Promise<LivedashServer> {
    const env: Record<string, string> = { PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", REDIS_URL: redis.url, LIVEDASH_REDIS_STREAM: stream };
    if (dataDir === undefined) env.LIVEDASH_STORAGE = "memory";
    else env.LIVEDASH_DATA_DIR = dataDir;
    const server = await createServer(parseConfig(env), { alerts: { tickMs: 50 } });
    cleanups.push(() => server.close());
    return server;
  }

  async function annotations(server: LivedashServer, query = "?from=0&to=100000"): Promise<{ text: string; ts: number; endTs: number | null; source: string }[]> {
    const res = await fetch(`${server.url}/api/annotations${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { annotations: { text: string; ts: number; endTs: number | null; source: string }[] }).annotations;
  }

  it("a rule saved on one instance runs on every instance, and a delete on another removes it everywhere", async () => {
    const [a, b] = [await startInstance("shared-rules"), await startInstance("shared-rules")] as [LivedashServer, LivedashServer];
    expect(await a.services.alerts.saveRule({ name: "queue-deep", series: "queue.depth", above: 100, for: "0s" })).toEqual({ ok: true });
    await vi.waitFor(async () => expect((await getAlerts(b.url)).rules.map((r) => [r.name, r.source])).toEqual([["queue-deep", "api"]]));
    // B evaluates it: both instances see it fire on a point ingested through B.
    await ingest(b.url, [{ series: "queue.depth", value: 500 }]);
    await vi.waitFor(async () => {
      for (const server of [a, b]) expect((await getAlerts(server.url)).firing).toBe(1);
    });
    // An instance that starts later loads it too.
    const c = await startInstance("shared-rules");
    await vi.waitFor(async () => expect((await getAlerts(c.url)).rules.map((r) => r.name)).toEqual(["queue-deep"]));
    // Edited on C, the edit is what every instance runs.
    expect(await c.services.alerts.saveRule({ name: "queue-deep", series: "queue.depth", above: 1000, for: "0s" })).toEqual({ ok: true });
    await vi.waitFor(async () => {
      for (const server of [a, b, c]) expect((await getAlerts(server.url)).rules[0]?.rule.above).toBe(1000);
    });
    expect(await b.services.alerts.deleteRule("queue-deep")).toEqual({ ok: true });
    await vi.waitFor(async () => {
      for (const server of [a, b, c]) expect((await getAlerts(server.url)).rules).toEqual([]);
    });
    expect(await a.services.alerts.deleteRule("queue-deep")).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });

  it("a user annotation posted to one instance is listed by every instance, a range in every window it overlaps", async () => {
    const [a, b] = [await startInstance("shared-notes"), await startInstance("shared-notes")] as [LivedashServer, LivedashServer];
    const post = (server: LivedashServer, body: object) =>
      fetch(`${server.url}/api/annotations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post(a, { text: "deploy v1.4", ts: 10_000, tags: ["deploy"] })).status).toBe(200);
    expect((await post(b, { text: "maintenance", ts: 5_000, endTs: 60_000 })).status).toBe(200);
    expect((await post(a, { text: "later", ts: 90_000 })).status).toBe(200);
    for (const server of [a, b]) {
      expect((await annotations(server)).map((n) => [n.text, n.source])).toEqual([["maintenance", "user"], ["deploy v1.4", "user"], ["later", "user"]]);
      // The range starts before the window and is still found; the point before it is not.
      expect((await annotations(server, "?from=20000&to=70000")).map((n) => n.text)).toEqual(["maintenance"]);
      expect((await annotations(server, "?from=0&to=100000&limit=2")).map((n) => n.text)).toEqual(["maintenance", "deploy v1.4"]);
    }
    // Distinct ids across instances: a chart keys its markers by them.
    const ids = (await (await fetch(`${b.url}/api/annotations?from=0&to=100000`)).json()) as { annotations: { id: number }[] };
    expect(new Set(ids.annotations.map((n) => n.id)).size).toBe(3);
  });

  it("rules saved before Redis mode (in the data directory) are carried into Redis at start, without overwriting", async () => {
    const data = tempDataDir();
    cleanups.push(data.remove);
    // A single instance saves a rule into its alerts.db...
    const alone = await createServer(parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_DATA_DIR: data.dir }));
    expect(await alone.services.alerts.saveRule({ name: "old-local", series: "x", above: 1 })).toEqual({ ok: true });
    await alone.close();
    // ...then runs with Redis beside an instance that holds another rule.
    const other = await startInstance("shared-migrate");
    expect(await other.services.alerts.saveRule({ name: "shared", series: "y", below: 1 })).toEqual({ ok: true });
    const migrated = await startInstance("shared-migrate", data.dir);
    await vi.waitFor(async () => {
      for (const server of [other, migrated]) expect((await getAlerts(server.url)).rules.map((r) => r.name).sort()).toEqual(["old-local", "shared"]);
    });
    // Moved, not copied: deleted on the other instance while this one is down, it stays deleted when it restarts.
    await migrated.close();
    expect(await other.services.alerts.deleteRule("old-local")).toEqual({ ok: true });
    const again = await startInstance("shared-migrate", data.dir);
    await vi.waitFor(async () => expect((await getAlerts(again.url)).rules.map((r) => r.name)).toEqual(["shared"]));
    expect((await getAlerts(other.url)).rules.map((r) => r.name)).toEqual(["shared"]);
  });

  it("while Redis does not answer, annotations answer 503 without its address, and a saved rule keeps running", async () => {
    const a = await startInstance("shared-outage");
    expect(await a.services.alerts.saveRule({ name: "kept", series: "k", above: 1, for: "0s" })).toEqual({ ok: true });
    await redis.stop();
    try {
      const post = await fetch(`${a.url}/api/annotations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "during outage" }) });
      expect(post.status).toBe(503);
      const body = (await post.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/^annotations unavailable/);
      expect(body.error.message).not.toContain(String(redis.port));
      expect((await fetch(`${a.url}/api/annotations?from=0`)).status).toBe(503);
      await a.services.alerts.refreshSilences();
      // (Rules are shared per Redis, not per stream: the earlier tests' "shared" is there too.)
      expect((await getAlerts(a.url)).rules.map((r) => r.name)).toContain("kept");
      expect(await a.services.alerts.saveRule({ name: "not-now", series: "k", above: 1 }).catch((error: unknown) => error)).toBeInstanceOf(Error);
    } finally {
      await redis.restart();
    }
  });
});
