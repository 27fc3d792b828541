import { HOSTS_LIVE_PROCEDURE, HOSTS_POLL_PROCEDURE, LIVE_PROCEDURE, POLL_PROCEDURE, formatZodIssues } from "@livedash/events";
import { z } from "zod";
import type { TransportPreference } from "./connection-state";

/** Every tunable of the ladder, with its default. Tests shorten the timeouts. */
export interface LadderOptions {
  /**
   * How long a new WebSocket may take to open and deliver its first message (the answer to our
   * "PING") before the client gives up on it and, if it never worked, falls back to SSE.
   * @default 5000
   */
  wsOpenTimeoutMs: number;
  /**
   * How long an SSE stream may stay silent after the request before we decide a proxy is buffering
   * it and fall back to long-polling. Headers alone do not count: tRPC's first `connected` event does.
   * @default 5000
   */
  sseFirstEventTimeoutMs: number;
  /**
   * How long the server may hold each long-poll request open when nothing is new (`waitMs`).
   * Keep it below any proxy's idle timeout.
   * @default 25000
   */
  pollWaitMs: number;
  /**
   * Extra time past `pollWaitMs` before a poll request counts as lost.
   * @default 10000
   */
  pollGraceMs: number;
  /**
   * While on a lower transport, how often to try the higher ones again (socket.io-style upgrade).
   * @default 30000
   */
  probeIntervalMs: number;
  /**
   * Backoff base: attempt n waits a random time in [0, min(maxBackoffMs, backoffBaseMs * 2^n)].
   * @default 500
   */
  backoffBaseMs: number;
  /** @default 10000 */
  maxBackoffMs: number;
  /**
   * Every retry (a reconnect, a long-poll answered early with nothing new) waits at least this long
   * on top of its jittered backoff, so a draw of zero never turns into a loop.
   * @default 250
   */
  retryFloorMs: number;
  /**
   * A session must stay live this long before its rung's failure count resets. One that connects
   * and dies sooner counts as a failed attempt: the backoff grows and the ladder may fall back.
   * @default 5000
   */
  stableLiveMs: number;
  /**
   * Consecutive failed attempts before the status becomes "offline" (the client keeps retrying).
   * @default 3
   */
  offlineAfterFailures: number;
  /**
   * A transport that already worked once is only abandoned for a lower one after this many
   * consecutive "blocked" failures, so a server restart does not push the client down the ladder.
   * @default 3
   */
  fallbackAfterFailures: number;
  /**
   * Interval of WebSocket keepalive pings; a missing "PONG" after `pongTimeoutMs` drops the socket.
   * @default 10000
   */
  pingIntervalMs: number;
  /** @default 5000 */
  pongTimeoutMs: number;
  /**
   * Timeout of the plain HTTP request that tells "server down" from "this transport is blocked".
   * @default 3000
   */
  reachabilityTimeoutMs: number;
  /**
   * How many recent event ids each subscription remembers to drop duplicates across reconnects.
   * @default 10000
   */
  dedupeCapacity: number;
  /**
   * Subscriptions that can be long-polled, and the query that polls each.
   * @default { "metrics.live": "metrics.poll", "hosts.live": "hosts.poll" }
   */
  pollProcedures: Readonly<Record<string, string>>;
}

export const LADDER_DEFAULTS: LadderOptions = {
  wsOpenTimeoutMs: 5_000,
  sseFirstEventTimeoutMs: 5_000,
  pollWaitMs: 25_000,
  pollGraceMs: 10_000,
  probeIntervalMs: 30_000,
  backoffBaseMs: 500,
  maxBackoffMs: 10_000,
  retryFloorMs: 250,
  stableLiveMs: 5_000,
  offlineAfterFailures: 3,
  fallbackAfterFailures: 3,
  pingIntervalMs: 10_000,
  pongTimeoutMs: 5_000,
  reachabilityTimeoutMs: 3_000,
  dedupeCapacity: 10_000,
  pollProcedures: { [LIVE_PROCEDURE]: POLL_PROCEDURE, [HOSTS_LIVE_PROCEDURE]: HOSTS_POLL_PROCEDURE },
};

const ms = (name: string, min: number, max: number) =>
  z
    .number()
    .int(`${name} must be an integer number of milliseconds`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

export const LadderOptionsSchema = z.object({
  wsOpenTimeoutMs: ms("wsOpenTimeoutMs", 10, 120_000),
  sseFirstEventTimeoutMs: ms("sseFirstEventTimeoutMs", 10, 120_000),
  pollWaitMs: ms("pollWaitMs", 0, 60_000),
  pollGraceMs: ms("pollGraceMs", 10, 120_000),
  // The issue asks for an upward probe at least once a minute.
  probeIntervalMs: ms("probeIntervalMs", 10, 60_000),
  backoffBaseMs: ms("backoffBaseMs", 1, 60_000),
  maxBackoffMs: ms("maxBackoffMs", 1, 600_000),
  retryFloorMs: ms("retryFloorMs", 10, 60_000),
  stableLiveMs: ms("stableLiveMs", 10, 600_000),
  offlineAfterFailures: z.number().int().min(1, "offlineAfterFailures must be at least 1").max(1000),
  fallbackAfterFailures: z.number().int().min(1, "fallbackAfterFailures must be at least 1").max(1000),
  pingIntervalMs: ms("pingIntervalMs", 10, 600_000),
  pongTimeoutMs: ms("pongTimeoutMs", 10, 600_000),
  reachabilityTimeoutMs: ms("reachabilityTimeoutMs", 10, 60_000),
  dedupeCapacity: z
    .number()
    .int()
    .min(16, "dedupeCapacity must be at least 16")
    .max(1_000_000, "dedupeCapacity must be at most 1000000"),
  pollProcedures: z.record(z.string(), z.string()),
});

export const TransportPreferenceSchema = z.enum(["auto", "ws", "sse", "poll"], {
  error: 'transport must be one of "auto", "ws", "sse", "poll"',
});

export const ClientOptionsSchema = z.object({
  url: z
    .string()
    .url("url must be the server's base URL, like http://127.0.0.1:4000")
    .refine((u) => /^https?:\/\//.test(u), "url must start with http:// or https://"),
  transport: TransportPreferenceSchema.default("auto"),
  token: z.string().min(1, "token must not be empty").max(4096, "token must be at most 4096 characters").optional(),
  ingestToken: z
    .string()
    .min(1, "ingestToken must not be empty")
    .max(4096, "ingestToken must be at most 4096 characters")
    .optional(),
});

export function resolveLadderOptions(partial: Partial<LadderOptions> | undefined): LadderOptions {
  const merged = { ...LADDER_DEFAULTS, ...stripUndefined(partial ?? {}) };
  const parsed = LadderOptionsSchema.safeParse(merged);
  if (!parsed.success) throw new TypeError(`@livedash/client: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type { TransportPreference };
