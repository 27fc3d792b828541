/**
 * Memory probe for live aggregation groups (docs/aggregation.md, "Memory"): starts the real server
 * (memory store, collectors off) as a child, ingests SERIES labelled series, opens STREAMS plain-SSE
 * aggregations from one address, each with a distinct `by` set (so each is its own aggregation
 * group), then ingests ROUNDS more batches so every group fills what it keeps for resumes. Prints
 * one JSON line: streams accepted/refused (and the first refusal), the server's RSS before and after
 * (from /proc, each after a forced garbage collection), and the aggregation stats of its /metrics.
 * Bounded in count and time.
 *
 *   node bench/aggregate-groups-probe.mjs [streams=100] [series=2000] [rounds=60] [KEY=VALUE env...]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { URLSearchParams, fileURLToPath } from "node:url";
import http from "node:http";

const args = process.argv.slice(2).filter((a) => !a.includes("="));
const env = Object.fromEntries(process.argv.slice(2).filter((a) => a.includes("=")).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
const STREAMS = Number(args[0] ?? 100);
const SERIES = Number(args[1] ?? 2000);
const ROUNDS = Number(args[2] ?? 60);
const DEADLINE = Date.now() + 120_000;
const root = fileURLToPath(new URL("..", import.meta.url));

const rssMb = (pid) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024);

/** SIGUSR2 makes the server collect garbage, so RSS and heap show what it holds, not what it dropped. */
const GC_ON_SIGNAL = 'data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc())';
const child = spawn(process.execPath, ["--expose-gc", "--import", GC_ON_SIGNAL, "--import", "tsx", "apps/server/src/main.ts"], {
  cwd: root,
  env: { ...process.env, PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_STORAGE: "memory", LIVEDASH_MAX_SERIES: String(SERIES * 2), LIVEDASH_INGEST_RATE: "10000000", LIVEDASH_MAX_POINTS_PER_REQUEST: "100000", LIVEDASH_MAX_BODY_BYTES: String(32 * 1_048_576), ...env },
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise((resolve, reject) => {
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
    const match = /listening on (http:\/\/[^\s"]+)/.exec(out);
    if (match) resolve(match[1]);
  });
  child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  setTimeout(() => reject(new Error("server did not start in 60 s")), 60_000).unref();
});

let ts = Date.now() - ROUNDS * 1000;
async function ingestRound() {
  ts += 1000;
  const points = Array.from({ length: SERIES }, (_, i) => ({ series: "probe.value", labels: { host: `h${i % 50}`, cpu: String(i % 40), n: String(i) }, ts, value: (i * 7 + ts) % 1000 }));
  const res = await fetch(`${url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points }) });
  if (res.status !== 200) throw new Error(`ingest ${res.status}: ${await res.text()}`);
}

async function collected() {
  child.kill("SIGUSR2");
  await new Promise((resolve) => setTimeout(resolve, 500));
  return rssMb(child.pid);
}

await ingestRound();
const before = await collected();

/** Each stream groups by host, cpu, n (every series its own output) plus a label nobody has, so every `by` set differs. */
const sockets = [];
let accepted = 0;
let refused = 0;
let firstRefusal = null;
for (let i = 0; i < STREAMS && Date.now() < DEADLINE; i++) {
  const query = new URLSearchParams({ series: "probe.value", aggregate: "sum", by: `host,cpu,n,x${i}` });
  const status = await new Promise((resolve, reject) => {
    const req = http.get(`${url}/sse?${query}`, (res) => {
      if (res.statusCode !== 200) {
        let body = "";
        res.on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode, body }));
        return;
      }
      res.resume();
      sockets.push(req);
      resolve({ status: 200 });
    });
    req.on("error", reject);
  });
  if (status.status === 200) accepted++;
  else {
    refused++;
    firstRefusal ??= `${status.status} ${status.body}`;
  }
}

for (let r = 0; r < ROUNDS && Date.now() < DEADLINE; r++) await ingestRound();
const after = await collected();
const metrics = await (await fetch(`${url}/metrics`)).text();
const aggregateLines = metrics.split("\n").filter((line) => line.startsWith("livedash_aggregate") || line.startsWith("nodejs_heap_used_bytes"));

for (const req of sockets) req.destroy();
child.kill("SIGTERM");
await new Promise((resolve) => child.once("exit", resolve));
console.log(JSON.stringify({ streams: STREAMS, series: SERIES, rounds: ROUNDS, accepted, refused, firstRefusal, rssMbBefore: before, rssMbAfter: after, metrics: aggregateLines }));
