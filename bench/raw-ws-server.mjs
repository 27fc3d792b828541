/**
 * Raw baseline: the least a WebSocket fan-out server can do for the same traffic. It accepts the
 * same POST /api/ingest, assigns `<epoch>-<seq>` ids, serializes each batch ONCE into one Buffer
 * shaped like a tRPC wsLink data frame for subscription id 1 (the id every bench client uses, so the
 * bytes per frame match our server's), and sends that Buffer to every client. No validation beyond
 * JSON.parse, no backpressure, no filtering: an upper bound to measure our server against.
 *
 * Usage: node bench/raw-ws-server.mjs [--port 0] [--host 127.0.0.1] [--batch-ms 0]
 *   --batch-ms N  coalesce ingests for N ms into one frame; 0 (default) merges what arrives in the same
 *                 event-loop turn (setImmediate), exactly like the server's batcher with LIVEDASH_BATCH_WINDOW_MS=0,
 *                 so both broadcast the same batched frames under the same load
 */
import http from "node:http";
import { clearImmediate } from "node:timers";
import { parseArgs } from "node:util";
import { encodeWsTrackedEvent, WS_METHOD, wsStartedMessage } from "@livedash/events";
import { WebSocketServer } from "ws";

const { values } = parseArgs({
  options: { port: { type: "string", default: "0" }, host: { type: "string", default: "127.0.0.1" }, "batch-ms": { type: "string", default: "0" } },
});
const port = Number(values.port);
const batchMs = Number(values["batch-ms"]);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer 0..65535, got ${values.port}`);
if (!Number.isFinite(batchMs) || batchMs < 0 || batchMs > 10_000) throw new Error(`--batch-ms must be 0..10000, got ${values["batch-ms"]}`);

/** Ingest bodies above this are refused, like the real server's payload limit. */
const MAX_BODY_BYTES = 1_000_000;
const epoch = Date.now().toString(36);
let seq = 0;
/** @type {object[]} */
let pendingPoints = [];

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data) => {
    // Answer the wsLink subscription request the way tRPC does, so the same client code works here.
    const text = data.toString();
    if (text.includes(`"${WS_METHOD.subscription}"`)) ws.send(JSON.stringify(wsStartedMessage(1)));
  });
  ws.on("error", () => ws.terminate());
});

function broadcast(/** @type {object[]} */ points) {
  seq += 1;
  const id = `${epoch}-${seq}`;
  // The same bytes our server sends for tracked(id, event), event serialized once per batch.
  const frame = Buffer.from(encodeWsTrackedEvent(1, id, JSON.stringify({ type: "points", points })));
  for (const client of wss.clients) if (client.readyState === 1) client.send(frame, { binary: false });
  return id;
}

/** @type {NodeJS.Timeout | NodeJS.Immediate | null} */
let flushTimer = null;
/** @type {Array<(id: string) => void>} */
let waiters = [];
function flush() {
  flushTimer = null;
  const points = pendingPoints;
  const done = waiters;
  pendingPoints = [];
  waiters = [];
  const id = broadcast(points);
  for (const resolve of done) resolve(id);
}
/** @returns {Promise<string>} the id of the frame that carried these points */
function enqueue(/** @type {object[]} */ points) {
  for (const point of points) pendingPoints.push(point);
  if (!flushTimer) flushTimer = batchMs > 0 ? setTimeout(flush, batchMs) : setImmediate(flush);
  return new Promise((resolve) => waiters.push(resolve));
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ status: "ok", engine: "raw-ws", clients: wss.clients.size }));
  }
  if (req.method !== "POST" || req.url !== "/api/ingest") {
    res.writeHead(404, { "content-type": "application/json" });
    return res.end('{"error":{"message":"not found"}}');
  }
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    let points;
    try {
      points = JSON.parse(Buffer.concat(chunks).toString()).points;
      if (!Array.isArray(points)) throw new Error("points must be an array");
    } catch (error) {
      res.writeHead(400, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { message: String(error) } }));
    }
    const now = Date.now();
    const normalized = points.map((p) => ({ series: p.series, ts: p.ts ?? now, value: p.value }));
    enqueue(normalized).then((id) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ accepted: normalized.length, id }));
    });
  });
});

server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
});

server.listen(port, values.host, () => {
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  console.log(`raw-ws baseline listening on http://${values.host}:${address.port}`);
});

function shutdown() {
  if (flushTimer) clearTimeout(/** @type {NodeJS.Timeout} */ (flushTimer));
  if (flushTimer) clearImmediate(/** @type {NodeJS.Immediate} */ (flushTimer));
  for (const client of wss.clients) client.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
