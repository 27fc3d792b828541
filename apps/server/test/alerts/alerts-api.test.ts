import { describe, expect, it, vi } from "vitest";
import { alertStateFromPoint, seriesKey, ALERT_STATE_SERIES } from "@livedash/events";
import type { Annotation, Silence } from "@livedash/events";
import type { LivedashServer } from "../../src/server";
import { ingest } from "../helpers/server";
import { getAlerts, startWithRules, stateOf, useCleanups } from "./helpers";

const READ = "read-token-0123456789";
const INGEST = "ingest-token-0123456789";
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function trpc(server: LivedashServer, path: string, input: unknown, token = INGEST) {
  const res = await fetch(`${server.url}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...auth(token) }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: unknown }; error?: { message: string; data: { code: string } } };
  return { status: res.status, data: body.result?.data, error: body.error };
}

describe("alerts API", () => {
  const cleanups = useCleanups();
  const start = (rules: string) =>
    startWithRules(cleanups, rules, { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST }, { alerts: { tickMs: 60_000, rulesPollMs: 60_000 } });

  it("annotations: POST with the ingest token, GET a window with the read token; errors name the field", async () => {
    const server = await start("[]");
    const post = (body: unknown, token = INGEST) =>
      fetch(`${server.url}/api/annotations`, { method: "POST", headers: { "content-type": "application/json", ...auth(token) }, body: JSON.stringify(body) });
    expect((await post({ text: "deploy v1.4", ts: 1_000, tags: ["deploy"] })).status).toBe(200);
    expect((await post({ text: "maintenance", ts: 5_000, endTs: 9_000 })).status).toBe(200);
    expect((await post({ text: "later", ts: 50_000 })).status).toBe(200);
    expect((await post({ text: "x" }, READ)).status).toBe(401);
    const bad = await post({ text: "", ts: 10, endTs: 5 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/text: text must not be empty/);
    expect((await post({ text: "x", colour: "red" })).status).toBe(400);

    const get = async (query: string, token = READ) => {
      const res = await fetch(`${server.url}/api/annotations${query}`, { headers: auth(token) });
      return { status: res.status, body: (await res.json()) as { annotations: Annotation[]; error?: { message: string } } };
    };
    // The range 5000..9000 overlaps a window that starts inside it.
    expect((await get("?from=6000&to=20000")).body.annotations.map((a) => a.text)).toEqual(["maintenance"]);
    expect((await get("?from=0&to=20000")).body.annotations.map((a) => [a.text, a.tags, a.source])).toEqual([
      ["deploy v1.4", ["deploy"], "user"],
      ["maintenance", [], "user"],
    ]);
    expect((await get("?from=0&to=20000", "wrong-token-0123456789")).status).toBe(401);
    const badQuery = await get("?from=abc");
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error?.message).toMatch(/^from: must be a number/);

    // The typed procedure writes to the same place.
    const typed = await trpc(server, "metrics.annotate", { text: "typed", ts: 7_000 });
    expect(typed.data).toMatchObject({ text: "typed", ts: 7_000, endTs: null, source: "user" });
  });

  it("a firing alert is listed, on the stream series, in /metrics and annotated; a silence marks it without hiding it", async () => {
    const server = await start(`- { name: cpu-high, series: 'host.cpu.*', above: 90, for: 0s, severity: critical }\n`);
    const web1 = seriesKey("host.cpu.total", { host: "web1" });
    expect((await ingest(server.url, [{ series: "host.cpu.total", labels: { host: "web1" }, value: 97 } as never], auth(INGEST))).status).toBe(200);
    await vi.waitFor(async () => expect(await stateOf(server.url, "cpu-high", web1, auth(READ))).toBe("firing"));

    const list = await getAlerts(server.url, auth(READ));
    expect(list.firing).toBe(1);
    expect(list.recent.map((t) => [t.from, t.to])).toEqual([["pending", "firing"], ["ok", "pending"]]);
    expect(list.rules[0]).toMatchObject({ name: "cpu-high", state: "firing", source: "file" });
    expect((await fetch(`${server.url}/api/alerts`)).status).toBe(401);

    // The transition's stream point, in history like any series.
    const key = seriesKey(ALERT_STATE_SERIES, { rule: "cpu-high", series: web1 });
    await vi.waitFor(async () => {
      const history = await fetch(`${server.url}/trpc/metrics.history?input=${encodeURIComponent(JSON.stringify({ series: [key] }))}`, { headers: auth(READ) });
      const body = (await history.json()) as { result: { data: { points: { ts: number; value: number }[] }[] } };
      const states = body.result.data[0]!.points.map((p) => alertStateFromPoint({ series: key, ts: p.ts, value: p.value })?.state);
      expect(states.at(-1)).toBe("firing");
    });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^livedash_alerts\{state="firing"\} 1$/m);
    expect(metrics).toMatch(/^livedash_alert_transitions_total\{to="firing"\} 1$/m);
    expect(metrics).toMatch(/^livedash_alert_rules 1$/m);

    const annotations = (await (await fetch(`${server.url}/api/annotations`, { headers: auth(READ) })).json()) as { annotations: Annotation[] };
    expect(annotations.annotations.map((a) => [a.source, a.tags])).toEqual([["alert", ["alert", "cpu-high", "firing", "critical"]]]);

    const silenced = await trpc(server, "alerts.silence", { labels: { host: "web1" }, reason: "planned load test", duration: "1h" });
    expect(silenced.status).toBe(200);
    const silence = silenced.data as Silence;
    const after = await getAlerts(server.url, auth(READ));
    expect(after.rules[0]!.instances[0]).toMatchObject({ state: "firing", silencedBy: [silence.id] });
    expect(after.firing).toBe(0);
    expect(after.silences.map((s) => s.reason)).toEqual(["planned load test"]);

    const noScope = await trpc(server, "alerts.silence", { reason: "x", duration: "1h" });
    expect(noScope.error?.message).toMatch(/rule: a silence needs a rule or at least one label/);
    expect((await trpc(server, "alerts.silence", { rule: "cpu-high", reason: "x", duration: "1h" }, READ)).status).toBe(401);
    expect((await trpc(server, "alerts.unsilence", { id: silence.id })).status).toBe(200);
    expect((await getAlerts(server.url, auth(READ))).firing).toBe(1);
  });

  it("rules saved through procedures run at once; a rules-file name is refused", async () => {
    const server = await start(`- { name: from-file, series: a, above: 1 }\n`);
    const saved = await trpc(server, "alerts.saveRule", { name: "queue-deep", series: "queue.depth", above: 100, for: "0s" });
    expect(saved.status).toBe(200);
    const clash = await trpc(server, "alerts.saveRule", { name: "from-file", series: "b", above: 1 });
    expect(clash.error?.data.code).toBe("CONFLICT");
    const invalid = await trpc(server, "alerts.saveRule", { name: "bad", series: "b", above: 1, for: "often" });
    expect(invalid.error?.message).toMatch(/for: must be a duration/);
    await ingest(server.url, [{ series: "queue.depth", value: 500 }], auth(INGEST));
    await vi.waitFor(async () => expect(await stateOf(server.url, "queue-deep", "queue.depth", auth(READ))).toBe("firing"));
    expect((await getAlerts(server.url, auth(READ))).rules.map((r) => [r.name, r.source])).toEqual([
      ["from-file", "file"],
      ["queue-deep", "api"],
    ]);
    expect((await trpc(server, "alerts.deleteRule", { name: "queue-deep" })).status).toBe(200);
    expect((await trpc(server, "alerts.deleteRule", { name: "queue-deep" })).error?.data.code).toBe("NOT_FOUND");
  });
});
