/**
 * Worker thread of the reconnect-storm scenario: holds every client socket and the ingest producer,
 * so the main thread's event loop runs the server alone and its measured lag is the server's.
 * Speaks the wire protocols directly (as bench/subscriber.mjs does; one `ws` object or one GET per
 * connection costs far less than one tRPC client): tRPC's wsLink protocol, resuming with the field the
 * tRPC client sends on reconnect (`params.lastEventId`), and both SSE dialects, resuming with the
 * `Last-Event-ID` header as EventSource does.
 */
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { createSseBlockReader } from "../../../../../bench/lib/sse-blocks.mjs";

const { url, counts, series } = workerData;
const wsUrl = `${url.replace(/^http/, "ws")}/trpc`;

/** Memory-engine ids are `<epoch>-<seq>`: the sequence orders them within one server run. */
const seqOf = (id) => Number(String(id).slice(String(id).lastIndexOf("-") + 1));

const kinds = Object.entries(counts).flatMap(([kind, n]) => Array.from({ length: n }, () => kind));
const conns = kinds.map((kind, index) => ({
  index, kind, ws: null, req: null, started: false, lastId: null, lastValue: 0, events: 0, points: 0,
  gaps: 0, duplicates: 0, idRegressions: 0, resets: 0, coalesced: 0, errors: 0, reconnects: 0, firstProblem: null,
}));

function problem(conn, text) {
  conn.firstProblem ??= text;
}

function onMessage(conn, data) {
  const msg = JSON.parse(data.toString());
  if (msg.error) {
    conn.errors++;
    return problem(conn, `error answer: ${JSON.stringify(msg.error).slice(0, 200)}`);
  }
  if (msg.result?.type === "started") return void (conn.started = true);
  if (msg.result?.type === "data") onEvent(conn, msg.result.data.id, msg.result.data.data);
}

function onEvent(conn, id, event) {
  conn.events++;
  if (conn.lastId !== null && !(seqOf(id) > seqOf(conn.lastId))) {
    conn.idRegressions++;
    problem(conn, `id ${id} after ${conn.lastId}`);
  }
  conn.lastId = id;
  if (event.type === "reset") {
    conn.resets++;
    return problem(conn, `reset ${event.reason} at ${id}`);
  }
  if (event.coalesced) conn.coalesced++;
  for (const point of event.points) {
    conn.points++;
    // The producer sends 1, 2, 3, ... one per batch: the next value is always the last + 1.
    if (point.value === conn.lastValue + 1) conn.lastValue = point.value;
    else if (point.value <= conn.lastValue) {
      conn.duplicates++;
      problem(conn, `value ${point.value} again (last ${conn.lastValue}) at ${id}`);
    } else {
      conn.gaps++;
      problem(conn, `value ${point.value} after ${conn.lastValue} at ${id}: ${point.value - conn.lastValue - 1} missing`);
      conn.lastValue = point.value;
    }
  }
}

/** Opens one connection and subscribes, resuming after `conn.lastId` when it has one. */
function connect(conn) {
  conn.started = false;
  if (conn.kind === "ws") return connectWs(conn);
  const target = new URL(url);
  if (conn.kind === "sse") {
    target.pathname = "/sse";
    target.searchParams.set("series", series.join(","));
  } else {
    target.pathname = "/trpc/metrics.live";
    target.searchParams.set("input", JSON.stringify({ series }));
  }
  const headers = { accept: "text/event-stream", ...(conn.lastId ? { "last-event-id": conn.lastId } : {}) };
  const req = http.get(target, { agent: false, headers }, (res) => {
    if (res.statusCode !== 200) return problem(conn, `SSE status ${res.statusCode}`);
    conn.started = true;
    const read = createSseBlockReader(({ id, event, data }) => {
      if (event === "serialized-error") {
        conn.errors++;
        problem(conn, `serialized-error ${data}`);
      } else if (id && data) onEvent(conn, id, JSON.parse(data));
    });
    res.setEncoding("utf8");
    // A dropped request may still hand over data it had read; it belongs to no subscription any more.
    res.on("data", (chunk) => conn.req === req && read(chunk));
  });
  req.on("error", (error) => conn.req === req && problem(conn, `request error: ${error.message}`));
  conn.req = req;
}

function connectWs(conn) {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  conn.ws = ws;
  ws.on("open", () => {
    const params = { path: "metrics.live", input: { series }, ...(conn.lastId ? { lastEventId: conn.lastId } : {}) };
    ws.send(JSON.stringify({ id: 1, method: "subscription", params }));
  });
  // A dropped socket may still hand over frames it had read; they belong to no subscription any more.
  ws.on("message", (data) => conn.ws === ws && onMessage(conn, data));
  ws.on("error", (error) => conn.ws === ws && problem(conn, `socket error: ${error.message}`));
}

function drop(conn) {
  conn.ws?.terminate();
  conn.req?.destroy();
  conn.ws = null;
  conn.req = null;
}

/** Opens every client, at most `concurrency` handshakes in flight (the initial fill is not the storm). */
async function openAll(concurrency) {
  let next = 0;
  const one = async () => {
    while (next < conns.length) {
      const conn = conns[next++];
      connect(conn);
      await new Promise((resolve) => {
        const check = () => (conn.started || conn.ws?.readyState > WebSocket.OPEN ? resolve() : setTimeout(check, 5));
        check();
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
}

/** The storm: every socket dropped at the same instant, then every client reconnects at once. */
function storm() {
  for (const conn of conns) drop(conn);
  for (const conn of conns) {
    conn.reconnects++;
    connect(conn);
  }
}

const producer = { running: false, sent: 0, failed: 0, lastStatus: 0, done: null };
/** Sends 1, 2, 3, ... one point per request, at most `ratePerSec`, until stopped or `maxValues`. */
async function produce(ratePerSec, maxValues) {
  producer.running = true;
  const startedAt = performance.now();
  // Bounded by maxValues.
  while (producer.running && producer.sent < maxValues) {
    const value = producer.sent + 1;
    const res = await fetch(`${url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points: [{ series: series[0], value }] }) });
    await res.arrayBuffer();
    producer.lastStatus = res.status;
    if (res.status !== 200) {
      producer.failed++;
      break;
    }
    producer.sent = value;
    const dueAt = startedAt + (producer.sent * 1000) / ratePerSec;
    const aheadMs = dueAt - performance.now();
    // Pacing to a rate (not waiting for a condition): keeps the offered load steady.
    if (aheadMs > 0) await new Promise((resolve) => setTimeout(resolve, aheadMs));
  }
  producer.running = false;
}

function status() {
  let started = 0;
  let minLast = Infinity;
  let open = 0;
  for (const conn of conns) {
    if (conn.started) started++;
    if (conn.ws?.readyState === WebSocket.OPEN || (conn.req && conn.started)) open++;
    minLast = Math.min(minLast, conn.lastValue);
  }
  return { started, open, minLast, sent: producer.sent, producing: producer.running, failed: producer.failed, lastStatus: producer.lastStatus };
}

function report() {
  const totals = { events: 0, points: 0, gaps: 0, duplicates: 0, idRegressions: 0, resets: 0, coalesced: 0, errors: 0, reconnects: 0 };
  const problems = [];
  for (const conn of conns) {
    for (const key of Object.keys(totals)) totals[key] += conn[key];
    if (conn.firstProblem && problems.length < 10) problems.push(`${conn.kind} client ${conn.index}: ${conn.firstProblem}`);
  }
  const lastValues = new Set(conns.map((c) => c.lastValue));
  return { clients: conns.length, ...totals, problems, distinctLastValues: [...lastValues].slice(0, 10) };
}

parentPort.on("message", async ({ id, cmd, args }) => {
  let result;
  if (cmd === "open") result = await openAll(args.concurrency);
  else if (cmd === "produce") void (producer.done = produce(args.ratePerSec, args.maxValues));
  else if (cmd === "stop-producing") {
    producer.running = false;
    await producer.done;
    result = status();
  } else if (cmd === "storm") storm();
  else if (cmd === "status") result = status();
  else if (cmd === "report") result = report();
  else if (cmd === "close") for (const conn of conns) drop(conn);
  parentPort.postMessage({ id, result });
});
