import { z } from "zod";
import { intFlag as int, parseFlags } from "./flags.mjs";

const HELP = `npm run soak -- [options]
  --minutes <M>         how long the load runs (default 30; at most 1440)
  --sample-sec <S>      seconds between samples of RSS, CPU, lag and client counters (default 10)
  --ws <N>              WebSocket subscribers (default 60)
  --sse <N>             plain /sse subscribers (default 30)
  --trpc-sse <N>        tRPC SSE subscribers (default 30)
  --poll <N>            long-poll subscribers (default 20)
  --rate <R>            ingest batches per second (default 20)
  --points-per-batch <N> points per ingest batch, one per series soak.s<i> (default 10)
  --reconnect-sec <S>   every subscriber drops and resumes by id about this often (default 60)
  --collectors on|off   the server's own host/process collectors (default on)
  --retention-sec <S>   the server's history window (default 60: full within the warm-up, so later growth is a leak)
  --replay-batches <N>  the server's replay window in batches (default 2000, about 100 s at the default load)
  --from-source         run apps/server/src/main.ts under tsx instead of building dist
  --out <dir>           where the JSON goes (default bench/results)`;

const ArgsSchema = z.object({
  minutes: z.coerce.number({ error: "--minutes must be a number" }).min(0.5, "--minutes must be at least 0.5").max(1440, "--minutes must be at most 1440"),
  sampleSec: int("sample-sec", 1, 600),
  ws: int("ws", 0, 5000),
  sse: int("sse", 0, 5000),
  trpcSse: int("trpc-sse", 0, 5000),
  poll: int("poll", 0, 1000),
  rate: int("rate", 1, 2000),
  pointsPerBatch: int("points-per-batch", 1, 1000),
  reconnectSec: int("reconnect-sec", 5, 3600),
  retentionSec: int("retention-sec", 60, 86_400),
  replayBatches: int("replay-batches", 10, 10_000_000),
  collectors: z.enum(["on", "off"], { error: "--collectors must be on or off" }),
  fromSource: z.boolean(),
  out: z.string().min(1),
});

/** Parses and validates argv; exits 2 with a message naming the flag on bad input. */
export function readSoakArgs(argv = process.argv.slice(2)) {
  return parseFlags(argv, {
    minutes: { type: "string", default: "30" }, "sample-sec": { type: "string", default: "10" },
    ws: { type: "string", default: "60" }, sse: { type: "string", default: "30" }, "trpc-sse": { type: "string", default: "30" },
    poll: { type: "string", default: "20" }, rate: { type: "string", default: "20" }, "points-per-batch": { type: "string", default: "10" },
    "reconnect-sec": { type: "string", default: "60" }, collectors: { type: "string", default: "on" },
    "retention-sec": { type: "string", default: "60" }, "replay-batches": { type: "string", default: "2000" },
    "from-source": { type: "boolean", default: false }, out: { type: "string", default: "bench/results" },
  }, HELP, (values) => ({
    minutes: values.minutes, sampleSec: values["sample-sec"], ws: values.ws, sse: values.sse, trpcSse: values["trpc-sse"], poll: values.poll,
    rate: values.rate, pointsPerBatch: values["points-per-batch"], reconnectSec: values["reconnect-sec"], collectors: values.collectors,
    retentionSec: values["retention-sec"], replayBatches: values["replay-batches"], fromSource: values["from-source"], out: values.out,
  }), ArgsSchema);
}
