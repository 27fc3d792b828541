/**
 * Ingest client (child process) of the ingest scenario: POSTs bodies of one format with `concurrency`
 * requests in flight for a bounded time, the same client for Livedash and VictoriaMetrics. Bodies come
 * from lib/ingest-bodies/<format>.mjs; their timestamps keep increasing across calls of one target.
 */
import http from "node:http";
import { serveWorker } from "./lib/worker-ipc.mjs";

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const INGEST_TOKEN = process.env.BENCH_INGEST_TOKEN || undefined;
/** @typedef {{ headers: Record<string, string>, next(): { body: Buffer | Uint8Array, points: number } }} Bodies */
/** @type {null | { url: URL, lane: (i: number) => Bodies, token?: string }} */
let target = null;

/** One POST; resolves with the status (0 on a socket error) once the answer is read. */
function post(/** @type {URL} */ url, /** @type {Record<string, string>} */ headers, /** @type {Buffer | Uint8Array} */ body) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: "POST", agent, headers: { ...headers, "content-length": body.byteLength } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.length < 4 && chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString().slice(0, 300) }));
    });
    req.on("error", (error) => resolve({ status: 0, text: error.message }));
    req.end(body);
  });
}

serveWorker(
  {
    /** Points a target at a format: bodies start at startMs. */
    async target(/** @type {{ url: string, path: string, body: string, lines: number, series: number, startMs: number, token?: string }} */ args) {
      const mod = await import(`./lib/ingest-bodies/${args.body}.mjs`);
      /** One body generator per lane, kept across send calls so timestamps keep increasing. */
      const lanes = /** @type {Bodies[]} */ ([]);
      const lane = (/** @type {number} */ i) => (lanes[i] ??= mod.createBodies({ lines: args.lines, series: args.series, startMs: args.startMs, lane: i }));
      target = { url: new URL(args.path, args.url), lane, token: args.token ?? INGEST_TOKEN };
      return { ok: true };
    },
    /** Sends for `seconds` (bounded: at most maxRequests) with `concurrency` in flight; counts 2xx points. */
    async send(/** @type {{ seconds: number, concurrency: number, maxRequests: number }} */ args) {
      if (!target) throw new Error("no target");
      const t = target;
      const headers = { ...t.lane(0).headers, ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) };
      const stats = { requests: 0, ok: 0, points: 0, statuses: /** @type {Record<string, number>} */ ({}), lastError: "" };
      const deadline = performance.now() + args.seconds * 1000;
      const started = performance.now();
      const lane = async (/** @type {unknown} */ _, /** @type {number} */ i) => {
        const bodies = t.lane(i);
        while (performance.now() < deadline && stats.requests < args.maxRequests) {
          stats.requests += 1;
          // A copy: next() rewrites the lane's buffer in place while this one may still be in flight.
          const { body, points } = bodies.next();
          const answer = /** @type {{ status: number, text: string }} */ (await post(t.url, headers, Buffer.from(body)));
          stats.statuses[answer.status] = (stats.statuses[answer.status] ?? 0) + 1;
          if (answer.status >= 200 && answer.status < 300) {
            stats.ok += 1;
            stats.points += points;
          } else stats.lastError = `${answer.status} ${answer.text}`;
        }
      };
      await Promise.all(Array.from({ length: args.concurrency }, lane));
      return { ...stats, elapsedMs: performance.now() - started };
    },
  },
  () => agent.destroy(),
);
