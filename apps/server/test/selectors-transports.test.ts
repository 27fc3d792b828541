import { seriesKey } from "@livedash/events";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { TRANSPORTS, closeAllAndSettle, httpClient, openLive } from "./helpers/live-clients";
import type { LiveClient } from "./helpers/live-clients";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 10_000, interval: 20 };

/** Every label combination a selector could confuse: same name other labels, other name same labels, no labels. */
function pointsFor(prefix: string) {
  const cpu = (labels: Record<string, string>) => seriesKey(`${prefix}.cpu`, labels);
  const disk = (labels: Record<string, string>) => seriesKey(`${prefix}.disk`, labels);
  const all = [
    cpu({}),
    cpu({ host: "web1", cpu: "0" }),
    cpu({ host: "web1", cpu: "1" }),
    cpu({ host: "web2", cpu: "1" }),
    cpu({ host: "web1" }),
    disk({ host: "web1", dev: "sda" }),
    disk({ host: "web1", dev: "nvme0" }),
    disk({ host: "db1", dev: "sdb" }),
    `${prefix}.sentinel`,
  ];
  // A name glob plus label matchers, a label-only selector, and a comma inside a quoted value.
  const selectors = [`${prefix}.c*{host="web1",cpu!="0"}`, `{dev=~"sd.*",host!~"db.*"}`, `${prefix}.sentinel`, `{weird="a,b"}`];
  const expected = [cpu({ host: "web1", cpu: "1" }), cpu({ host: "web1" }), disk({ host: "web1", dev: "sda" }), `${prefix}.sentinel`];
  return { all, selectors, expected };
}

describe("selectors with label matchers on every transport: exactly the matching series arrive", () => {
  let server: LivedashServer;
  /** Streaming subscriptions the server holds itself (the alert evaluator follows the live path in process). */
  let own = 0;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    own = server.services.hub.stats().subscriptions;
  });
  afterEach(async () => {
    await closeAllAndSettle(server, clients, own);
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(TRANSPORTS)("over %s", async (transport) => {
    const prefix = `sel_${transport.replace("-", "_")}`;
    const { all, selectors, expected } = pointsFor(prefix);
    const client = openLive(transport, server.url, { series: selectors });
    clients.push(client);
    await vi.waitFor(() => {
      if (transport === "poll") expect(server.services.traffic.polls).toBeGreaterThan(0);
      else expect(server.services.hub.stats().subscriptions).toBeGreaterThan(own);
    }, WAIT);
    // One request, so one batch: once the sentinel is here, everything that matched is here too.
    const res = await ingest(server.url, all.map((series, i) => ({ series, value: i })));
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(client.points().map((p) => p.series)).toContain(`${prefix}.sentinel`), WAIT);
    expect(client.points().map((p) => p.series).sort()).toEqual([...expected].sort());
    expect(client.errors).toEqual([]);
  });

  it("plain /sse read as a raw stream (as curl -N does): the list splits on commas outside braces and quotes", async () => {
    const prefix = "sel_raw";
    const { all, selectors, expected } = pointsFor(prefix);
    const controller = new AbortController();
    const res = await fetch(`${server.url}/sse?series=${encodeURIComponent(selectors.join(","))}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(own + 1), WAIT);
    await ingest(server.url, all.map((series, i) => ({ series, value: i })));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // Bounded: a handful of chunks carries one batch; stop at the first points event.
    for (let i = 0; i < 100 && !/event: points\n(?:id: .*\n)?data: .*\n\n/.test(text); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    const data = /event: points\n(?:id: .*\n)?data: (.*)\n/.exec(text)?.[1];
    expect(data).toBeDefined();
    const event = JSON.parse(data!) as { points: { series: string }[] };
    expect(event.points.map((p) => p.series).sort()).toEqual([...expected].sort());
  });

  it("a bad selector is refused on /sse naming the matcher or the limit", async () => {
    const bad = await fetch(`${server.url}/sse?series=${encodeURIComponent('a.*,b{dev=~"(x)\\1"}')}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^series\[1\]: matcher dev=~: bad regex/);
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.poll.query({ series: ['x{a="1",a="1",a="1"}'], waitMs: 0 })).resolves.toMatchObject({ events: [] });
    await expect(trpc.metrics.poll.query({ series: [`x{${Array.from({ length: 17 }, (_, i) => `l${i}="v"`).join(",")}}`], waitMs: 0 })).rejects.toThrow(/series\[0\]: a selector may have at most 16 label matchers/);
  });
});

describe("live pattern caps count distinct selectors, however they are written", () => {
  it("two spellings of one selector hold one of the address's patterns", async () => {
    const server = await startTestServer({ LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS: "2" });
    const controller = new AbortController();
    try {
      const list = (...selectors: string[]) => `${server.url}/sse?series=${encodeURIComponent(selectors.join(","))}`;
      const first = await fetch(list('a{x="1",y="2"}', "b.*"), { signal: controller.signal });
      expect(first.status).toBe(200);
      const second = await fetch(list("a{ y='2' , x='1' }", "b.*"), { signal: controller.signal });
      expect(second.status).toBe(200);
      const third = await fetch(list("c.*"));
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(/one address may hold at most 2 distinct patterns \(LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS\); 2 are in use/);
    } finally {
      controller.abort();
      await server.close();
    }
  });
});

describe("metrics.catalog, metrics.labels and metrics.history with selectors", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_MAX_SERIES: "2000" });
    const now = Date.now();
    await ingest(server.url, [
      { series: seriesKey("q.cpu", { host: "web1", cpu: "0" }), value: 1, ts: now - 1000 },
      { series: seriesKey("q.cpu", { host: "web1", cpu: "1" }), value: 2, ts: now - 1000 },
      { series: seriesKey("q.cpu", { host: "db1", cpu: "0" }), value: 3, ts: now - 1000 },
      { series: seriesKey("q.mem", { host: "web1" }), value: 4, ts: now - 1000 },
      { series: "q.plain", value: 5, ts: now - 1000 },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  it("the catalog gives each series its key, name and labels", async () => {
    const catalog = await httpClient(server.url).metrics.catalog.query();
    const byKey = new Map(catalog.map((entry) => [entry.key, entry]));
    expect(byKey.get('q.cpu{cpu="1",host="web1"}')).toMatchObject({ key: 'q.cpu{cpu="1",host="web1"}', name: "q.cpu", labels: { cpu: "1", host: "web1" }, last: { value: 2 } });
    expect(byKey.get("q.plain")).toMatchObject({ key: "q.plain", name: "q.plain", labels: {} });
  });

  it("metrics.labels lists label names and sorted values, bounded, for a selector or all", async () => {
    const trpc = httpClient(server.url);
    const all = await trpc.metrics.labels.query({});
    expect(all.series).toBeGreaterThanOrEqual(5);
    expect(all.labels.map((l) => l.label)).toEqual(["__name__", "cpu", "host"]);
    expect(all.labels.find((l) => l.label === "host")).toEqual({ label: "host", values: ["db1", "web1"], count: 2, truncated: false });
    const web = await trpc.metrics.labels.query({ selector: 'q.*{host="web1"}', label: "cpu" });
    expect(web).toEqual({ series: 3, labels: [{ label: "cpu", values: ["0", "1"], count: 2, truncated: false }], truncated: false });
    const cut = await trpc.metrics.labels.query({ selector: "q.*", label: "__name__", valuesPerLabel: 1 });
    expect(cut.labels).toEqual([{ label: "__name__", values: ["q.cpu"], count: 3, truncated: true }]);
    await expect(trpc.metrics.labels.query({ valuesPerLabel: 100_000 })).rejects.toThrow(/valuesPerLabel must be at most 10000/);
    await expect(trpc.metrics.labels.query({ selector: '{a=~"("}' })).rejects.toThrow(/selector: matcher a=~: bad regex/);
  });

  it("history expands selectors to the matching keys; an exact key that matches nothing answers with no points", async () => {
    const trpc = httpClient(server.url);
    const answer = await trpc.metrics.history.query({ series: ['q.cpu{cpu!="1"}', 'q.mem{host="web9"}', "q.pl*"] });
    expect(answer.map((s) => s.series)).toEqual(['q.cpu{cpu="0",host="db1"}', 'q.cpu{cpu="0",host="web1"}', 'q.mem{host="web9"}', "q.plain"]);
    expect(answer.map((s) => s.points.length)).toEqual([1, 1, 0, 1]);
    // A key asked twice, or by two selectors, is answered once.
    const twice = await trpc.metrics.history.query({ series: ['q.cpu{cpu="0",host="db1"}', '{host="db1"}'] });
    expect(twice.map((s) => s.series)).toEqual(['q.cpu{cpu="0",host="db1"}']);
  });

  it("history refuses selectors that match more series than one query may return, naming the count and the limit", async () => {
    const points = Array.from({ length: 1001 }, (_, i) => ({ series: seriesKey("wide.s", { i: String(i) }), value: i }));
    expect((await ingest(server.url, points)).status).toBe(200);
    const trpc = httpClient(server.url);
    await expect(trpc.metrics.history.query({ series: ["wide.s"], maxPoints: 1 })).rejects.toThrow(/series: the selectors match 1001 series, over the limit of 1000 per history query/);
    // The points budget (series × maxPoints) applies to what the selectors expand to.
    await expect(trpc.metrics.history.query({ series: ['wide.s{i=~"1.."}'], maxPoints: 10_000 })).rejects.toThrow(/100 × 10000 = 1000000 points is over the limit/);
    await expect(trpc.metrics.history.query({ series: ['wide.s{i=~"1.."}'], maxPoints: 1 })).resolves.toHaveLength(100);
  });
});
