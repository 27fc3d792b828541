import { z } from "zod";
import { createLogger } from "../logger";
import type { Logger } from "../logger";

/** Tunables of the redis engine; validated with zod, every field named in the error. */
export interface RedisEngineOptions {
  /** Redis URL, `redis://[user:pass@]host:port[/db]` or `rediss://` for TLS. Required. */
  url: string;
  /**
   * The stream every instance appends to and reads. Instances that should share data must agree on it.
   * @default "livedash:events"
   */
  streamKey?: string;
  /**
   * Approximate cap on stream entries (`XADD ... MAXLEN ~ maxLen`): one entry per batch, so with a 1 s
   * collector tick on 3 instances 100_000 entries keep roughly 9 hours. Resume works inside this window.
   * @default 100_000
   */
  maxLen?: number;
  /**
   * How long one `XREAD BLOCK` waits before the reader checks the stream is still the one it was reading.
   * @default 2_000
   */
  blockMs?: number;
  /**
   * Most entries taken per XREAD round trip.
   * @default 1_000
   */
  readCount?: number;
  /**
   * `start()` warms listeners (the ring buffers) with the stream entries of this last window before
   * going live; pass the store's retention so a new instance answers history like the others.
   * @default 3_600_000 (1 hour)
   */
  warmWindowMs?: number;
  /**
   * Upper bound on the entries the warm-up delivers (the newest ones win).
   * @default 100_000
   */
  warmCount?: number;
  /**
   * Most batches one `replayAfter` returns; a client further behind gets `reset` (too-old) and refetches.
   * @default 10_000
   */
  replayMaxBatches?: number;
  /**
   * A replay waits until this instance's reader has delivered everything the replay returned, so the hub
   * never sees replayed batches arrive again live. Past this wait the replay answers `reset` (lagged).
   * @default 5_000
   */
  replayCatchUpMs?: number;
  /**
   * Timeout of each non-blocking command (XADD, XRANGE): publish fails fast with EngineUnavailableError.
   * @default 2_000
   */
  commandTimeoutMs?: number;
  /**
   * TCP connect timeout per attempt.
   * @default 2_000
   */
  connectTimeoutMs?: number;
  /**
   * Reconnect backoff grows exponentially from 50 ms up to this.
   * @default 1_000
   */
  reconnectMaxDelayMs?: number;
  /**
   * How long `start()` waits for Redis before resolving anyway (health stays not ready, and the reader
   * warms up as soon as Redis answers).
   * @default 5_000
   */
  startTimeoutMs?: number;
  /** Name shown in `CLIENT LIST`, suffixed with `:cmd` / `:reader`. @default "livedash" */
  connectionName?: string;
  /** Where a throwing onBatch listener is reported; the reader keeps going. @default an error line on a default logger */
  onListenerError?: (error: unknown) => void;
}

const int = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a number` })
    .int(`${field} must be an integer`)
    .min(min, `${field} must be at least ${min}`)
    .max(max, `${field} must be at most ${max}`);

export const RedisEngineOptionsSchema = z.object({
  url: z
    .string({ error: "url (REDIS_URL) is required" })
    .regex(/^rediss?:\/\/\S+$/, "url (REDIS_URL) must look like redis://host:port or rediss://host:port"),
  streamKey: z.string().min(1, "streamKey must not be empty").max(200, "streamKey must be at most 200 characters").default("livedash:events"),
  maxLen: int("maxLen", 100, 100_000_000).default(100_000),
  blockMs: int("blockMs", 10, 60_000).default(2_000),
  readCount: int("readCount", 1, 100_000).default(1_000),
  warmWindowMs: int("warmWindowMs", 0, 30 * 86_400_000).default(3_600_000),
  warmCount: int("warmCount", 0, 100_000_000).default(100_000),
  replayMaxBatches: int("replayMaxBatches", 1, 10_000_000).default(10_000),
  replayCatchUpMs: int("replayCatchUpMs", 0, 60_000).default(5_000),
  commandTimeoutMs: int("commandTimeoutMs", 10, 60_000).default(2_000),
  connectTimeoutMs: int("connectTimeoutMs", 10, 60_000).default(2_000),
  reconnectMaxDelayMs: int("reconnectMaxDelayMs", 10, 60_000).default(1_000),
  startTimeoutMs: int("startTimeoutMs", 0, 600_000).default(5_000),
  connectionName: z.string().regex(/^[a-zA-Z0-9_.:-]{1,64}$/, "connectionName may only contain letters, digits and _ . : - (1..64)").default("livedash"),
});

export type ResolvedRedisEngineOptions = z.output<typeof RedisEngineOptionsSchema> & {
  onListenerError: (error: unknown) => void;
};

export function resolveRedisEngineOptions(options: RedisEngineOptions): ResolvedRedisEngineOptions {
  const { onListenerError, ...rest } = options;
  const parsed = RedisEngineOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid redis engine option ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return { ...parsed.data, onListenerError: onListenerError ?? logListenerError(createLogger()) };
}

function logListenerError(log: Logger) {
  return (error: unknown) => log.error({ err: error }, "redis engine: an onBatch listener threw");
}
