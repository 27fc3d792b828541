import { hostname as osHostname } from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DurationSchema, formatZodIssues, hostValueProblem } from "@livedash/events";
import { UsageError } from "../args";

export const AGENT_USAGE = `usage:
  livedash agent --server URL [--token-file FILE] [--host NAME] [--interval 1s]
                 [--buffer-points N] [--batch-points N] [--max-backoff 30s] [--flush-timeout 5s] [--verbose]

Runs the built-in collectors (CPU, memory, load, network, disk, the agent process) on this machine
and pushes them to the Livedash server's POST /api/ingest, gzip-compressed, every series labelled
host="NAME". While the server is unreachable it keeps collecting into a bounded buffer and sends it,
oldest first, when the server is back. SIGTERM/SIGINT: sends what is buffered (at most
--flush-timeout), then exits 0.

options:
  --server URL         the server's base URL, e.g. https://livedash.example.com (default: $LIVEDASH_URL)
  --token-file FILE    file holding the server's ingest token (LIVEDASH_INGEST_TOKEN); needed when
                       the server has tokens (any non-loopback HOST)
  --host NAME          the host label (default: this machine's hostname)
  --interval D         collect every D: 500ms, 1s, 10s, 1m (default: 1s)
  --buffer-points N    points kept while the server is unreachable; past it the oldest are dropped
                       and logged (default: 500000, about 45 MB)
  --batch-points N     points per request, at most the server's LIVEDASH_MAX_POINTS_PER_REQUEST
                       (default: 5000)
  --max-backoff D      longest wait between retries (default: 30s)
  --flush-timeout D    how long SIGTERM may spend sending the buffer (default: 5s)
  --verbose            also log every tick collected and every batch sent (with their timestamps)

exit codes: 0 stopped by a signal; 2 bad flags; 78 configuration (token file unreadable, token refused,
the server answered with a redirect).`;

/** Exit code for a configuration the agent cannot fix by retrying (sysexits EX_CONFIG); the unit file keeps systemd from restarting on it. */
export const EXIT_CONFIG = 78;

export interface AgentConfig {
  /** Base URL without a trailing slash. */
  readonly server: string;
  readonly tokenFile?: string | undefined;
  readonly host: string;
  readonly intervalMs: number;
  readonly bufferPoints: number;
  readonly batchPoints: number;
  readonly maxBackoffMs: number;
  readonly flushTimeoutMs: number;
  readonly verbose: boolean;
}

const durationFlag = (flag: string, minMs: number, maxMs: number) =>
  DurationSchema.pipe(
    z
      .number()
      .min(minMs, `${flag} must be at least ${minMs} ms`)
      .max(maxMs, `${flag} must be at most ${maxMs / 1000} s`),
  );

const countFlag = (flag: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${flag} must be a whole number`)
    .transform(Number)
    .pipe(z.number().min(min, `${flag} must be at least ${min}`).max(max, `${flag} must be at most ${max}`));

const AgentFlagsSchema = z.object({
  server: z
    .string({ error: "--server is required (the Livedash server's base URL, e.g. http://10.0.0.5:4000)" })
    .url("--server must be a URL like http://10.0.0.5:4000")
    .refine((u) => /^https?:\/\//.test(u), "--server must start with http:// or https://")
    // The ingest path is appended to the base: a query or fragment would swallow it, and
    // credentials in a URL end up in logs (the token file is where the secret goes).
    .refine((u) => !u.includes("?"), "--server must not have a query (?...): give the base URL only")
    .refine((u) => !u.includes("#"), "--server must not have a fragment (#...): give the base URL only")
    .refine((u) => {
      const parsed = URL.canParse(u) ? new URL(u) : undefined;
      return parsed === undefined || (parsed.username === "" && parsed.password === "");
    }, "--server must not hold a user or password (user:pass@): put the ingest token in --token-file")
    .transform((u) => u.replace(/\/+$/, "")),
  tokenFile: z.string().min(1, "--token-file must not be empty").optional(),
  host: z
    .string()
    .min(1, "--host must not be empty")
    .superRefine((value, ctx) => {
      const problem = hostValueProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: `--host: ${problem}` });
    }),
  intervalMs: durationFlag("--interval", 100, 3_600_000),
  // 500k points: an hour of a 64-core host at 1 s, or a day of a small VM at 10 s; ~90 bytes of heap each.
  bufferPoints: countFlag("--buffer-points", 1, 10_000_000),
  batchPoints: countFlag("--batch-points", 1, 100_000),
  maxBackoffMs: durationFlag("--max-backoff", 100, 3_600_000),
  flushTimeoutMs: durationFlag("--flush-timeout", 0, 300_000),
  verbose: z.boolean(),
});

/** Parses `livedash agent ...` flags (argv after "agent"); `env` supplies $LIVEDASH_URL. Throws UsageError. */
export function parseAgentArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): AgentConfig | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        server: { type: "string" },
        "token-file": { type: "string" },
        host: { type: "string" },
        interval: { type: "string", default: "1s" },
        "buffer-points": { type: "string", default: "500000" },
        "batch-points": { type: "string", default: "5000" },
        "max-backoff": { type: "string", default: "30s" },
        "flush-timeout": { type: "string", default: "5s" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const parsed = AgentFlagsSchema.safeParse({
    server: values.server ?? (env["LIVEDASH_URL"] || undefined),
    tokenFile: values["token-file"],
    host: values.host ?? (osHostname() || "localhost"),
    intervalMs: values.interval,
    bufferPoints: values["buffer-points"],
    batchPoints: values["batch-points"],
    maxBackoffMs: values["max-backoff"],
    flushTimeoutMs: values["flush-timeout"],
    verbose: values.verbose,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // A duration's own message ("must be a duration like ...") does not say which flag it was.
    const flag = issue ? FLAG_OF[String(issue.path[0])] : undefined;
    const message = issue?.message ?? formatZodIssues(parsed.error);
    throw new UsageError(flag !== undefined && !message.startsWith("--") ? `${flag} ${message}` : message);
  }
  return parsed.data;
}

const FLAG_OF: Record<string, string> = {
  server: "--server",
  tokenFile: "--token-file",
  host: "--host",
  intervalMs: "--interval",
  bufferPoints: "--buffer-points",
  batchPoints: "--batch-points",
  maxBackoffMs: "--max-backoff",
  flushTimeoutMs: "--flush-timeout",
};
