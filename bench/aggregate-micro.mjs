/**
 * Child process of `npm run bench` (run with `node --import tsx`): the live path in process, memory
 * engine, N subscribers with a sink that only counts bytes, fed the same batches twice in one run:
 * once as raw subscribers (one group, the batch's event shared), once as subscribers of one
 * aggregation (`sum by (host)`, one computation per batch for all of them). Prints one JSON line:
 * { subscribers, batches, pointsPerBatch, raw: { usPerBatch, bytesPerBatch }, aggregate: { ...,
 * computationsPerBatch } }. Bounded: a fixed number of batches.
 */
import { seriesKey } from "@livedash/events";
import { createMemoryEngine } from "../apps/server/src/engine/memory-engine";
import { createLivePath } from "../apps/server/src/live/live-path";
import { plainSseFrameEncoder } from "../apps/server/src/live/frames";

const SUBSCRIBERS = Number(process.argv[2] ?? 1000);
const BATCHES = Number(process.argv[3] ?? 200);
const HOSTS = 50;
const CPUS = 16;
/** Every batch: one point per host and cpu (800 series), as a fleet's collectors tick. */
const keys = Array.from({ length: HOSTS * CPUS }, (_, i) => seriesKey("host.cpu.user", { host: `web${Math.floor(i / CPUS)}`, cpu: String(i % CPUS) }));

async function run(aggregate) {
  const engine = createMemoryEngine();
  const path = createLivePath(engine);
  let bytes = 0;
  const sink = { transport: /** @type {const} */ ("sse"), bufferedBytes: () => 0, write: (frame) => (bytes += frame.length), closeSlow() {}, onDrain: () => () => {} };
  const subs = Array.from({ length: SUBSCRIBERS }, () => path.subscribe({ sink, encoder: plainSseFrameEncoder, patterns: ["host.cpu.*"], ...(aggregate ? { aggregate } : {}) }));
  const now = Date.now();
  const batch = (b) => keys.map((series, i) => ({ series, ts: now + b, value: (b * 7 + i) % 100 }));
  for (let b = 0; b < 20; b++) await engine.publish(batch(b)); // warm the JIT
  bytes = 0;
  const computations = path.stats().aggregateComputations;
  const start = performance.now();
  for (let b = 20; b < 20 + BATCHES; b++) await engine.publish(batch(b));
  const ms = performance.now() - start;
  const out = { usPerBatch: Math.round((ms * 1000) / BATCHES), bytesPerBatch: Math.round(bytes / BATCHES), computationsPerBatch: (path.stats().aggregateComputations - computations) / BATCHES };
  for (const sub of subs) sub.unsubscribe();
  path.close();
  await engine.close?.();
  return out;
}

const raw = await run(null);
const aggregate = await run({ op: "sum", by: ["host"] });
console.log(JSON.stringify({ subscribers: SUBSCRIBERS, batches: BATCHES, pointsPerBatch: keys.length, raw, aggregate }));
