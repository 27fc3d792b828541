/**
 * Load subscriber (child process): holds many connections of one transport and counts what they
 * receive. Speaks the wire protocols directly (no tRPC client) so the client side stays cheap:
 *   ws       tRPC wsLink protocol over `ws` (also what bench/raw-ws-server.mjs speaks)
 *   sse      plain GET /sse?series=...
 *   trpc-sse tRPC httpSubscriptionLink protocol: GET /trpc/metrics.live?input=<json>
 * One frame in `sampleEvery` is JSON-parsed for latency; every frame is counted (see lib/frames.mjs).
 */
import http from "node:http";
import { LIVE_PROCEDURE, PLAIN_SSE_PATH, TRPC_PATH, trpcWsUrl, wsConnectionParamsMessage, wsSubscribeMessage } from "@livedash/events";
import WebSocket from "ws";
import { accountFrame, createSseSplitter, findPoints } from "./lib/frames.mjs";
import { createHistogram } from "./lib/histogram.mjs";
import { serveWorker } from "./lib/worker-ipc.mjs";

const SUBSCRIPTION_ID = 1;
/** Set by run.mjs for a server with tokens (--read-token); empty means an open server. */
const READ_TOKEN = process.env.BENCH_READ_TOKEN || undefined;

/** @typedef {{ index: number, kind: string, group: string, ws?: WebSocket, req?: http.ClientRequest, open: boolean,
 *   received: boolean, events: number, closeCode: number | null, closedAtMs: number | null, lastId: string | null,
 *   trackIds: boolean, resets: number, pausedAtMs: number | null, eventsAfterResume: number, close: () => void,
 *   recordLatency: (ms: number) => void, idGaps: number, maxIdGap: number, seriesPerEventMax: number,
 *   throttle: NodeJS.Timeout | null, stopThrottle?: () => void }} Conn */

/** @type {Conn[]} */
const conns = [];
/** One latency histogram per connection group, so scenarios can compare groups sharing a process. */
const histograms = new Map();
const histogramOf = (/** @type {string} */ group) => {
  let histogram = histograms.get(group);
  if (!histogram) histograms.set(group, (histogram = createHistogram()));
  return histogram;
};
const totals = { events: 0, points: 0, bytes: 0 };
/** @type {Record<string, number>} */
const closes = {};
let frameCounter = 0;
let sampleEvery = 1;
let resetAt = { cpu: process.cpuUsage(), ms: performance.now() };


/** @param {Conn} conn @param {Buffer} buf @param {number} start @param {number} end */
function onFrame(conn, buf, start, end) {
  totals.bytes += end - start;
  const sample = frameCounter++ % sampleEvery === 0;
  const { events, points } = accountFrame(buf, start, end, sample, conn.recordLatency, Date.now());
  if (events === 0) return;
  totals.events += events;
  totals.points += points;
  conn.received = true;
  conn.events += events;
  if (conn.pausedAtMs !== null) conn.eventsAfterResume += events;
}

/** The slow-consumer connection parses everything: it needs the last event id to resume. */
function trackId(/** @type {Conn} */ conn, /** @type {string} */ text, /** @type {string | null} */ sseId) {
  const msg = JSON.parse(text);
  const id = sseId ?? msg?.result?.id ?? msg?.result?.data?.id ?? null;
  // Memory-engine ids are `<epoch>-<seq>`: a jump in seq means batches were coalesced away for this client.
  const seq = Number(String(id ?? "").split("-").pop());
  const lastSeq = Number(String(conn.lastId ?? "").split("-").pop());
  if (id && Number.isInteger(seq) && Number.isInteger(lastSeq) && conn.lastId !== null && seq > lastSeq + 1) {
    conn.idGaps += 1;
    conn.maxIdGap = Math.max(conn.maxIdGap, seq - lastSeq - 1);
  }
  if (id) conn.lastId = id;
  const event = msg?.result?.data?.data ?? msg;
  if (event?.type === "reset") conn.resets += 1;
  const points = findPoints(msg);
  if (points) conn.seriesPerEventMax = Math.max(conn.seriesPerEventMax, new Set(points.map((p) => /** @type {any} */ (p).series)).size);
  return points;
}

function latencyRecorder(/** @type {string | undefined} */ group) {
  const histogram = histogramOf(group ?? "default");
  return (/** @type {number} */ ms) => histogram.record(ms);
}

/** @returns {Promise<Conn>} */
function openWs(/** @type {any} */ opts, /** @type {number} */ index) {
  opts = { ...opts, token: opts.token ?? READ_TOKEN };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(trpcWsUrl(new URL(opts.url).origin, Boolean(opts.token)), { perMessageDeflate: false, handshakeTimeout: opts.connectTimeoutMs });
    /** @type {Conn} */
    const conn = { index, kind: "ws", group: opts.group ?? "default", ws, open: false, received: false, events: 0, closeCode: null, closedAtMs: null, lastId: null,
      trackIds: Boolean(opts.trackIds), resets: 0, pausedAtMs: null, eventsAfterResume: 0, close: () => ws.terminate(),
      recordLatency: latencyRecorder(opts.group), idGaps: 0, maxIdGap: 0, seriesPerEventMax: 0, throttle: null };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no subscription start within connectTimeoutMs"));
    }, opts.connectTimeoutMs);
    ws.on("open", () => {
      if (opts.token) ws.send(JSON.stringify(wsConnectionParamsMessage({ token: opts.token })));
      // uniquePattern gives each connection its own pattern set (a group of its own in the hub: no shared work).
      const series = opts.uniquePattern ? [`bench.conn${process.pid}x${index}`, ...opts.series] : opts.series;
      const input = { series, ...(opts.lastEventId ? { lastEventId: opts.lastEventId } : {}) };
      ws.send(JSON.stringify([wsSubscribeMessage(SUBSCRIPTION_ID, LIVE_PROCEDURE, input)]));
    });
    ws.on("message", (/** @type {Buffer} */ data) => {
      if (!conn.open) {
        // The first answer is {"result":{"type":"started"}} or an error; either settles the open.
        conn.open = true;
        clearTimeout(timer);
        if (data.includes('"error"')) return reject(new Error(`subscription error: ${data.toString().slice(0, 300)}`));
        resolve(conn);
      }
      if (conn.trackIds) trackId(conn, data.toString(), null);
      onFrame(conn, data, 0, data.length);
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      if (!conn.open) reject(error);
    });
    ws.on("close", (code) => {
      clearTimeout(timer);
      if (conn.throttle) clearInterval(conn.throttle);
      conn.throttle = null;
      if (!conn.open) reject(new Error(`closed ${code} before subscription started`));
      conn.open = false;
      conn.closeCode = code;
      conn.closedAtMs = Date.now();
      closes[code] = (closes[code] ?? 0) + 1;
    });
  });
}

/** @returns {Promise<Conn>} */
function openSse(/** @type {any} */ opts, /** @type {number} */ index, /** @type {"sse" | "trpc-sse"} */ kind) {
  return new Promise((resolve, reject) => {
    const url = new URL(opts.url);
    if (kind === "sse") {
      url.pathname = PLAIN_SSE_PATH;
      url.searchParams.set("series", opts.series.join(","));
    } else {
      url.pathname = `${TRPC_PATH}/${LIVE_PROCEDURE}`;
      url.searchParams.set("input", JSON.stringify({ series: opts.series }));
    }
    // A Node client can send headers, so the read token goes in Authorization (browsers need a ticket instead).
    const token = opts.token ?? READ_TOKEN;
    const headers = { accept: "text/event-stream", ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}) };
    const req = http.get(url, { agent: false, headers });
    /** @type {Conn} */
    const conn = { index, kind, group: opts.group ?? "default", req, open: false, received: false, events: 0, closeCode: null, closedAtMs: null, lastId: null,
      trackIds: Boolean(opts.trackIds), resets: 0, pausedAtMs: null, eventsAfterResume: 0, close: () => req.destroy(),
      recordLatency: latencyRecorder(opts.group), idGaps: 0, maxIdGap: 0, seriesPerEventMax: 0, throttle: null };
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error("no SSE response within connectTimeoutMs"));
    }, opts.connectTimeoutMs);
    req.on("response", (res) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`SSE status ${res.statusCode}`));
      }
      conn.open = true;
      const splitter = createSseSplitter((buf, start, end) => {
        if (conn.trackIds) trackId(conn, buf.toString("utf8", start, end), null);
        onFrame(conn, buf, start, end);
      });
      res.on("data", (/** @type {Buffer} */ chunk) => splitter.push(chunk));
      res.on("close", () => {
        conn.open = false;
        conn.closeCode = 0;
        conn.closedAtMs = Date.now();
        closes["sse-end"] = (closes["sse-end"] ?? 0) + 1;
      });
      resolve(conn);
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      if (!conn.open) reject(error);
    });
  });
}

/** Opens `count` connections with at most `concurrency` handshakes in flight. */
async function openMany(/** @type {any} */ opts) {
  const result = { opened: 0, failed: 0, errors: /** @type {string[]} */ ([]) };
  let next = 0;
  const worker = async () => {
    while (next < opts.count) {
      next += 1;
      const index = conns.length;
      try {
        const conn = opts.transport === "ws" ? await openWs(opts, index) : await openSse(opts, index, opts.transport);
        conns.push(conn);
        result.opened += 1;
      } catch (error) {
        result.failed += 1;
        if (result.errors.length < 5) result.errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, worker));
  return result;
}

function reset() {
  for (const histogram of histograms.values()) histogram.reset();
  totals.events = 0;
  totals.points = 0;
  totals.bytes = 0;
  for (const conn of conns) conn.received = false;
  resetAt = { cpu: process.cpuUsage(), ms: performance.now() };
}

/** @param {{ group?: string }} [opts] latency of one group, or of every group merged */
function report(opts = {}) {
  const sparse = opts.group ? histogramOf(opts.group).toSparse() : mergeSparseLists([...histograms.values()].map((h) => h.toSparse()));
  const cpu = process.cpuUsage(resetAt.cpu);
  let open = 0;
  let receiving = 0;
  /** @type {Record<string, { open: number, receiving: number, total: number }>} */
  const byGroup = {};
  for (const conn of conns) {
    const group = (byGroup[conn.group] ??= { open: 0, receiving: 0, total: 0 });
    group.total += 1;
    if (conn.open) {
      open += 1;
      group.open += 1;
    }
    if (conn.received) {
      receiving += 1;
      group.receiving += 1;
    }
  }
  return { ...totals, histogram: sparse, cpuMs: (cpu.user + cpu.system) / 1000,
    elapsedMs: performance.now() - resetAt.ms, open, receiving, total: conns.length, byGroup, closes: { ...closes } };
}

/** Concatenated sparse lists are still a valid input for mergeSparse (it sums equal buckets). */
function mergeSparseLists(/** @type {Array<Array<[number, number]>>} */ lists) {
  return lists.flat();
}

function slowInfo(/** @type {Conn | undefined} */ conn) {
  if (!conn) throw new Error("no such connection");
  return { open: conn.open, closeCode: conn.closeCode, closedAtMs: conn.closedAtMs, lastId: conn.lastId, resets: conn.resets,
    events: conn.events, eventsAfterResume: conn.eventsAfterResume, idGaps: conn.idGaps, maxIdGap: conn.maxIdGap,
    seriesPerEventMax: conn.seriesPerEventMax };
}

serveWorker(
  {
    open: (opts) => openMany(opts),
    reset,
    report,
    counts: () => ({ events: totals.events, points: totals.points }),
    setSampleEvery({ every }) {
      sampleEvery = Math.max(1, Math.floor(every));
    },
    /** Stops reading one WS connection: the kernel buffers fill and the server sees a slow consumer. */
    pause({ index }) {
      const conn = conns[index];
      if (!conn?.ws) throw new Error(`connection ${index} is not a WebSocket`);
      // ws exposes no public pause for the receiving side; pausing its net.Socket is the documented trick.
      /** @type {any} */ (conn.ws)._socket.pause();
      conn.pausedAtMs = Date.now();
      return { pausedAtMs: conn.pausedAtMs };
    },
    /**
     * Lets one WS connection read a single socket chunk (at most 64 KB) every `periodMs`: a consumer that is
     * slow but alive, so the server's coalescing (not just its close) is what it sees. `resume` ends it.
     */
    throttle({ index, periodMs }) {
      const conn = conns[index];
      if (!conn?.ws) throw new Error(`connection ${index} is not a WebSocket`);
      const socket = /** @type {any} */ (conn.ws)._socket;
      const pauseAfterChunk = () => socket.pause();
      socket.on("data", pauseAfterChunk);
      socket.pause();
      conn.pausedAtMs = Date.now();
      conn.throttle = setInterval(() => socket.resume(), periodMs);
      conn.stopThrottle = () => socket.off("data", pauseAfterChunk);
      return { throttledAtMs: conn.pausedAtMs };
    },
    resume({ index }) {
      const conn = conns[index];
      if (!conn?.ws) throw new Error(`connection ${index} is not a WebSocket`);
      if (conn.throttle) clearInterval(conn.throttle);
      conn.throttle = null;
      conn.stopThrottle?.();
      /** @type {any} */ (conn.ws)._socket.resume();
      conn.eventsAfterResume = 0;
      return { resumedAtMs: Date.now() };
    },
    slowInfo: ({ index }) => slowInfo(conns[index]),
    async reconnect({ index, opts }) {
      const old = conns[index];
      if (!old) throw new Error(`no connection ${index}`);
      const conn = await openWs({ ...opts, lastEventId: old.lastId, trackIds: true }, index);
      conns[index] = conn;
      return { lastEventId: old.lastId };
    },
    async closeAll() {
      for (const conn of conns) {
        if (conn.throttle) clearInterval(conn.throttle);
        conn.close();
      }
      const count = conns.length;
      conns.length = 0;
      return { closed: count };
    },
  },
  () => {
    for (const conn of conns) {
      if (conn.throttle) clearInterval(conn.throttle);
      conn.close();
    }
  },
);
