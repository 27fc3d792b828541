import { z } from "zod";
import { intFlag, parseFlags } from "./flags.mjs";

const HELP = `npm run bench -- [options]
  --url <http://host:port>  measure an already running Livedash server (CPU/RSS need --server-pid)
  --server-pid <pid>        pid of that external server, to read its CPU and RSS from /proc
  --read-token <t>          read token of that server (WS connectionParams, SSE Authorization: Bearer)
  --ingest-token <t>        ingest token of that server (POST /api/ingest Authorization: Bearer)
  --quick                   shorter everything (< 1 min): smoke-test the bench itself
  --subscribers <N>         subscribers per fan-out run (default 1000; quick 200)
  --duration <S>            measured seconds per sweep step, each measured twice (default 1.5; quick 1, once)
  --points-per-batch <N>    points per ingest request, one per series bench.s<i> (default 10)
  --rates <a,b,c>           offered batches/s to sweep (default 10,20,35,50,70; quick 20,60)
  --transports <list>       subset of raw-ws,trpc-ws,sse,trpc-sse (default all)
  --skip <list>             scenarios to skip: fanout,trpc-client,window,10k,slow,patterns,aggregate,storage,ingest
  --storage-parts <list>    parts of the storage scenario to run: ingest,query,bytes,start,rss (default all)
  --ten-k <N>               concurrent subscribers in the 10k scenario (default 10000; quick 1000)
  --slow-pause <S>          seconds the slow consumer stops reading (default 60; quick 4)
  --from-source             run the server with tsx from apps/server/src instead of building dist
  --server-env KEY=VALUE    extra env for the server we start (repeatable)
  --ingest-formats <list>   ingest scenario formats: line-protocol,remote-write,otlp-protobuf (default),
                            otlp-protobuf-counter (the OTLP points as a cumulative Counter)
  --cpu-prof <dir>          run each Livedash server we start with node --cpu-prof, profiles into <dir>
  --out <dir>               where the JSON goes (default bench/results)`;

const TRANSPORTS = ["raw-ws", "trpc-ws", "sse", "trpc-sse"];
const SCENARIOS = ["fanout", "trpc-client", "window", "10k", "slow", "patterns", "aggregate", "storage", "ingest"];
const list = (name, allowed) =>
  z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(allowed, { error: `--${name} entries must be among ${allowed.join(",")}` })));

const ArgsSchema = z.object({
  url: z.url({ error: "--url must be an absolute http(s) URL" }).optional(),
  serverPid: intFlag("server-pid", 1, 4_194_304).optional(),
  readToken: z.string().min(16, "--read-token must be at least 16 characters (the server's minimum)").optional(),
  ingestToken: z.string().min(16, "--ingest-token must be at least 16 characters (the server's minimum)").optional(),
  quick: z.boolean(),
  subscribers: intFlag("subscribers", 1, 20_000).optional(),
  durationS: z.coerce.number({ error: "--duration must be a number" }).min(0.5, "--duration must be at least 0.5 s").max(60, "--duration must be at most 60 s").optional(),
  pointsPerBatch: intFlag("points-per-batch", 1, 1000),
  rates: z.string().transform((s) => s.split(",").map(Number))
    .pipe(z.array(z.number().positive("--rates entries must be positive").max(5000, "--rates entries must be at most 5000 batches/s")).min(1).max(20, "--rates takes at most 20 entries"))
    .optional(),
  transports: list("transports", TRANSPORTS),
  skip: list("skip", SCENARIOS),
  storageParts: list("storage-parts", ["ingest", "query", "bytes", "start", "rss"]),
  tenK: intFlag("ten-k", 1, 20_000).optional(),
  slowPauseS: z.coerce.number().min(1, "--slow-pause must be at least 1 s").max(120, "--slow-pause must be at most 120 s").optional(),
  fromSource: z.boolean(),
  serverEnv: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*=/, "--server-env must look like KEY=VALUE")),
  out: z.string().min(1),
  ingestFormats: list("ingest-formats", ["line-protocol", "remote-write", "otlp-protobuf", "otlp-protobuf-counter"]),
  cpuProfDir: z.string().min(1, "--cpu-prof needs a directory").optional(),
});

/** Parses and validates argv; exits with a message naming the flag on bad input. */
export function readArgs(argv = process.argv.slice(2)) {
  const a = parseFlags(argv, {
    url: { type: "string" }, "server-pid": { type: "string" }, "read-token": { type: "string" }, "ingest-token": { type: "string" }, quick: { type: "boolean", default: false },
    subscribers: { type: "string" }, duration: { type: "string" }, "points-per-batch": { type: "string", default: "10" },
    rates: { type: "string" }, transports: { type: "string", default: TRANSPORTS.join(",") }, skip: { type: "string", default: "" }, "storage-parts": { type: "string", default: "ingest,query,bytes,start,rss" },
    "ten-k": { type: "string" }, "slow-pause": { type: "string" }, "from-source": { type: "boolean", default: false },
    "server-env": { type: "string", multiple: true, default: [] }, out: { type: "string", default: "bench/results" },
    "cpu-prof": { type: "string" }, "ingest-formats": { type: "string", default: "line-protocol,remote-write,otlp-protobuf" },
  }, HELP, (values) => ({
    url: values.url, serverPid: values["server-pid"], readToken: values["read-token"], ingestToken: values["ingest-token"], quick: values.quick, subscribers: values.subscribers,
    durationS: values.duration, pointsPerBatch: values["points-per-batch"], rates: values.rates, transports: values.transports,
    skip: values.skip, storageParts: values["storage-parts"], tenK: values["ten-k"], slowPauseS: values["slow-pause"], fromSource: values["from-source"],
    serverEnv: values["server-env"], out: values.out, cpuProfDir: values["cpu-prof"], ingestFormats: values["ingest-formats"],
  }), ArgsSchema);
  const quick = a.quick;
  return {
    ...a,
    subscribers: a.subscribers ?? (quick ? 200 : 1000),
    durationMs: (a.durationS ?? (quick ? 1 : 1.5)) * 1000,
    warmupMs: quick ? 300 : 700,
    /** Tries per (transport, load) in the sweep; the least contended one is reported. */
    repeats: quick ? 1 : 2,
    /** Longest wait for the server's RSS to settle before and after opening idle connections. */
    settleMs: quick ? 600 : 3000,
    rates: a.rates ?? (quick ? [20, 60] : [10, 20, 35, 50, 70]),
    tenK: a.tenK ?? (quick ? 1000 : 10_000),
    slowPauseMs: (a.slowPauseS ?? (quick ? 4 : 60)) * 1000,
    serverEnv: Object.fromEntries(a.serverEnv.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
  };
}
