/**
 * Soak load (child process): long-lived subscribers of every transport (tRPC wsLink over `ws`, plain
 * /sse, tRPC SSE, long-poll), each dropping its connection about every `reconnectSec` and resuming by
 * its last event id, as real clients do across network blips. Every event id is checked: with the
 * memory engine ids are `<epoch>-<seq>` and consecutive per batch, and every batch matches "*", so a
 * subscriber must see seq n+1 after n: anything else is a gap or a duplicate.
 */
import http from "node:http";
import { LIVE_PROCEDURE, PLAIN_SSE_PATH, POLL_PROCEDURE, TRPC_PATH, TRPC_SSE_EVENTS, trpcWsUrl, wsSubscribeMessage } from "@livedash/events";
import WebSocket from "ws";
import { createSseBlockReader } from "./lib/sse-blocks.mjs";
import { serveWorker } from "./lib/worker-ipc.mjs";

const TRANSPORTS = /** @type {const} */ (["ws", "sse", "trpc-sse", "poll"]);
const SERIES = ["*"];
/** How long one long-poll waits for news; short enough that a soak's reconnect cadence is exercised. */
const POLL_WAIT_MS = 5_000;
/** Pause before reconnecting after the server closed us (not after our own periodic drops). */
const RETRY_MS = 1_000;

/** @typedef {{ kind: typeof TRANSPORTS[number], index: number, lastId: string | null, lastSeq: number | null, events: number, points: number,
 *   gaps: number, missing: number, duplicates: number, resets: number, coalesced: number, errors: number, reconnects: number, serverCloses: number,
 *   generation: number, drop: (() => void) | null, timer: NodeJS.Timeout | null, retry: NodeJS.Timeout | null }} Client */

/** @type {Client[]} */
const clients = [];
/** @type {string[]} first few problems, for the report */
const problems = [];
let stopped = false;
let baseUrl = "";
/** Gap checks need consecutive ids, which only the memory engine gives. */
let checkSequence = true;

const seqOf = (/** @type {string} */ id) => Number(id.slice(id.lastIndexOf("-") + 1));
const note = (/** @type {Client} */ c, /** @type {string} */ text) => problems.length < 20 && problems.push(`${c.kind}#${c.index}: ${text}`);

/** One event from any transport. */
function onEvent(/** @type {Client} */ c, /** @type {string} */ id, /** @type {any} */ event) {
  c.events++;
  const seq = seqOf(id);
  if (event.type === "reset") {
    c.resets++;
    note(c, `reset (${event.reason}) at ${id}`);
  } else {
    c.points += event.points.length;
    if (event.coalesced) c.coalesced++;
    if (checkSequence && c.lastSeq !== null) {
      if (seq <= c.lastSeq) {
        c.duplicates++;
        note(c, `id ${id} after ${c.lastId}`);
      } else if (seq > c.lastSeq + 1 && !event.coalesced) {
        c.gaps++;
        c.missing += seq - c.lastSeq - 1;
        note(c, `${seq - c.lastSeq - 1} batches missing before ${id}`);
      }
    }
  }
  c.lastId = id;
  c.lastSeq = seq;
}

function onServerClose(/** @type {Client} */ c, /** @type {number} */ generation) {
  if (stopped || generation !== c.generation) return;
  c.serverCloses++;
  c.retry = setTimeout(() => connect(c), RETRY_MS);
}

function connectWs(/** @type {Client} */ c, /** @type {number} */ gen) {
  const ws = new WebSocket(trpcWsUrl(baseUrl, false), { perMessageDeflate: false });
  ws.on("open", () => {
    const message = wsSubscribeMessage(1, LIVE_PROCEDURE, { series: SERIES });
    ws.send(JSON.stringify(c.lastId ? { ...message, params: { ...message.params, lastEventId: c.lastId } } : message));
  });
  ws.on("message", (data) => {
    if (gen !== c.generation) return;
    const msg = JSON.parse(data.toString());
    if (msg.error) {
      c.errors++;
      note(c, `error ${JSON.stringify(msg.error).slice(0, 160)}`);
    } else if (msg.result?.type === "data") onEvent(c, msg.result.id, msg.result.data.data);
  });
  ws.on("close", () => onServerClose(c, gen));
  ws.on("error", () => undefined);
  return () => ws.terminate();
}

/** Plain /sse and tRPC SSE: one GET held open, blocks parsed for `id:` and `data:`. */
function connectSse(/** @type {Client} */ c, /** @type {number} */ gen) {
  const url = new URL(baseUrl);
  if (c.kind === "sse") {
    url.pathname = PLAIN_SSE_PATH;
    url.searchParams.set("series", SERIES.join(","));
  } else {
    url.pathname = `${TRPC_PATH}/${LIVE_PROCEDURE}`;
    url.searchParams.set("input", JSON.stringify({ series: SERIES }));
  }
  const headers = { accept: "text/event-stream", ...(c.lastId ? { "last-event-id": c.lastId } : {}) };
  const req = http.get(url, { agent: false, headers }, (res) => {
    const read = createSseBlockReader(({ id, event, data }) => {
      if (event === TRPC_SSE_EVENTS.serializedError) {
        c.errors++;
        note(c, `serialized-error ${data?.slice(0, 160)}`);
      } else if (id && data) onEvent(c, id, JSON.parse(data));
    });
    res.setEncoding("utf8");
    res.on("data", (/** @type {string} */ chunk) => gen === c.generation && read(chunk));
    res.on("close", () => onServerClose(c, gen));
  });
  req.on("error", () => onServerClose(c, gen));
  return () => req.destroy();
}

/** Long-poll loop: `metrics.poll` with the last cursor; an abort is this transport's reconnect. */
function connectPoll(/** @type {Client} */ c, /** @type {number} */ gen) {
  const controller = new AbortController();
  const loop = async () => {
    // Bounded by stop()/drop (abort) and the soak's duration.
    while (!controller.signal.aborted && gen === c.generation) {
      const input = encodeURIComponent(JSON.stringify({ series: SERIES, cursor: c.lastId, waitMs: POLL_WAIT_MS }));
      const res = await fetch(`${baseUrl}${TRPC_PATH}/${POLL_PROCEDURE}?input=${input}`, { signal: controller.signal });
      const body = await res.json();
      if (gen !== c.generation) return;
      if (!res.ok) {
        c.errors++;
        note(c, `poll ${res.status} ${JSON.stringify(body).slice(0, 160)}`);
        return onServerClose(c, gen);
      }
      const answer = body.result.data;
      for (const e of answer.events) onEvent(c, e.id, e.event);
      if (answer.cursor) c.lastId = answer.cursor;
      if (answer.cursor) c.lastSeq = seqOf(answer.cursor);
    }
  };
  loop().catch(() => onServerClose(c, gen));
  return () => controller.abort();
}

function connect(/** @type {Client} */ c) {
  if (stopped) return;
  c.generation++;
  const gen = c.generation;
  c.drop = c.kind === "ws" ? connectWs(c, gen) : c.kind === "poll" ? connectPoll(c, gen) : connectSse(c, gen);
}

/** The periodic blip: drop the connection and resume at once from the last id. */
function reconnect(/** @type {Client} */ c) {
  c.reconnects++;
  const drop = c.drop;
  c.generation++;
  drop?.();
  connect(c);
}

function open(/** @type {{ url: string, counts: Record<string, number>, reconnectSec: number, checkSequence: boolean }} */ args) {
  baseUrl = args.url;
  checkSequence = args.checkSequence;
  for (const kind of TRANSPORTS) {
    for (let i = 0; i < (args.counts[kind] ?? 0); i++) {
      /** @type {Client} */
      const c = { kind, index: i, lastId: null, lastSeq: null, events: 0, points: 0, gaps: 0, missing: 0, duplicates: 0, resets: 0, coalesced: 0,
        errors: 0, reconnects: 0, serverCloses: 0, generation: 0, drop: null, timer: null, retry: null };
      clients.push(c);
      connect(c);
      // Staggered: every client blips once per period, at its own phase.
      const periodMs = args.reconnectSec * 1000;
      setTimeout(() => {
        if (stopped) return;
        reconnect(c);
        c.timer = setInterval(() => reconnect(c), periodMs);
      }, Math.random() * periodMs);
    }
  }
  return { clients: clients.length };
}

function report() {
  /** @type {Record<string, Record<string, number>>} */
  const byKind = {};
  const keys = /** @type {const} */ (["events", "points", "gaps", "missing", "duplicates", "resets", "coalesced", "errors", "reconnects", "serverCloses"]);
  for (const c of clients) {
    const row = byKind[c.kind] ??= { clients: 0, ...Object.fromEntries(keys.map((k) => [k, 0])) };
    row.clients = (row.clients ?? 0) + 1;
    for (const k of keys) row[k] = (row[k] ?? 0) + c[k];
  }
  return { byKind, problems: [...problems] };
}

function stop() {
  stopped = true;
  for (const c of clients) {
    if (c.timer) clearInterval(c.timer);
    if (c.retry) clearTimeout(c.retry);
    c.generation++;
    c.drop?.();
  }
}

serveWorker({ open, report, stop: () => (stop(), report()) }, stop);
