import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { Point } from "@livedash/events";
import { decodeEntry, encodePoints, FIELD_POINTS, FIELD_PREV } from "./redis-codec";
import { compareStreamIds, isStreamId, STREAM_START_ID } from "./redis-ids";
import { resolveRedisEngineOptions } from "./redis-options";
import type { RedisEngineOptions } from "./redis-options";
import { createStreamReader } from "./redis-reader";
import type { StreamGapReason, StreamReaderStats } from "./redis-reader";
import { EngineUnavailableError } from "./types";
import type { Batch, Engine, EngineHealth, ReplayResult } from "./types";

export type { RedisEngineOptions } from "./redis-options";
export type { StreamGapReason } from "./redis-reader";

/**
 * Appends one batch and links it to the previous entry in one atomic step (scripts run alone), so
 * the `prev` chain has no holes even with many instances publishing at once. XADD `*` inside a
 * script is fine since Redis 5 (effects replication).
 */
const APPEND_LUA = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = ''
if last[1] then prev = last[1][1] end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', '${FIELD_POINTS}', ARGV[2], '${FIELD_PREV}', prev)
`;
const APPEND_SHA = createHash("sha1").update(APPEND_LUA).digest("hex");

export interface RedisEngineStats extends StreamReaderStats {
  /** Both connections ready. */
  redisUp: boolean;
  published: number;
  publishErrors: number;
}

export interface RedisEngine extends Engine {
  readonly kind: "redis";
  /**
   * Warms listeners from the newest `warmCount` entries, then follows the stream live. Register the
   * store's and the hub's onBatch listeners first. Resolves once the warm-up was delivered, or after
   * `startTimeoutMs` when Redis is not reachable yet (the reader then warms up as soon as it is).
   */
  start(): Promise<void>;
  /**
   * Called when this instance's reader found a hole in the stream (Redis restarted and lost data, or
   * the reader fell behind trimming): live subscribers may have missed batches and should get `reset`.
   */
  onGap(listener: (reason: StreamGapReason) => void): () => void;
  stats(): RedisEngineStats;
}

/**
 * The scale-out engine: one Redis Stream shared by every instance. publish() appends (XADD, MAXLEN ~)
 * on a command connection; a second, blocking connection reads the stream and feeds listeners, on the
 * publishing instance too, so every instance delivers the same batches under the same ids.
 */
export async function createRedisEngine(input: RedisEngineOptions): Promise<RedisEngine> {
  const options = resolveRedisEngineOptions(input);
  const key = options.streamKey;
  const counters = { published: 0, publishErrors: 0 };
  const lastErrors = { cmd: null as string | null };
  let closed = false;

  // Fail fast instead of queueing: a publish while Redis is away must become a 503 now, not a late
  // surprise. No retries or resends either, so an XADD is never silently sent twice.
  const base: RedisOptions = {
    // RESP2 keeps reply shapes (XREAD, script replies) identical on every Redis version we support.
    protocol: 2,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: (times) => Math.min(options.reconnectMaxDelayMs, 50 * 2 ** Math.min(times, 10)) + Math.floor(Math.random() * 50),
  };
  const cmd = new Redis(options.url, { ...base, commandTimeout: options.commandTimeoutMs, connectionName: `${options.connectionName}:cmd` });
  // No commandTimeout here: it would cut every XREAD BLOCK short.
  const readerConn = new Redis(options.url, { ...base, connectionName: `${options.connectionName}:reader` });
  cmd.on("error", (error: Error) => (lastErrors.cmd = error.message));
  readerConn.on("error", () => undefined); // the reader records its own errors; this only keeps ioredis quiet
  cmd.on("ready", () => (lastErrors.cmd = null));
  const reader = createStreamReader(readerConn, options);
  // Connect in the background; status and health() say how it goes, and ioredis keeps retrying.
  cmd.connect().catch(() => undefined);
  readerConn.connect().catch(() => undefined);

  function unavailable(what: string, cause?: unknown): EngineUnavailableError {
    const why = cause instanceof Error ? cause.message : (lastErrors.cmd ?? `connection ${cmd.status}`);
    return new EngineUnavailableError(`redis is unavailable (${what}): ${why}`, { cause });
  }

  async function append(payload: string): Promise<string> {
    const args = [1, key, String(options.maxLen), payload] as const;
    try {
      return String(await cmd.evalsha(APPEND_SHA, ...args));
    } catch (error) {
      // First use on this Redis (or after a restart emptied its script cache): send the script itself.
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return String(await cmd.eval(APPEND_LUA, ...args));
      throw error;
    }
  }

  async function newestId(): Promise<string | null> {
    const [last] = await cmd.xrevrange(key, "+", "-", "COUNT", 1);
    return last?.[0] ?? null;
  }

  async function replay(id: string): Promise<ReplayResult> {
    if (!isStreamId(id)) return { ok: false, reason: "unparseable-id" };
    // Inclusive start: finding `id` itself proves nothing after it was trimmed. +2 = `id` itself and one
    // past the limit, to tell "exactly replayMaxBatches" from "too many".
    const entries = await cmd.xrange(key, id, "+", "COUNT", options.replayMaxBatches + 2);
    const first = entries[0];
    if (!first) {
      if (id === STREAM_START_ID) return { ok: true, batches: [] };
      // Nothing at or after `id`: the stream is gone (Redis restarted empty) or `id` is from the future.
      return { ok: false, reason: (await newestId()) === null ? "engine-restarted" : "unknown-id" };
    }
    const decoded = entries.map(([entryId, fields]) => decodeEntry(entryId, fields));
    let after = decoded;
    if (first[0] === id) after = decoded.slice(1);
    else if (decoded[0]!.prev !== (id === STREAM_START_ID ? "" : id)) {
      // The entry after `id` is not linked to it: entries in between were trimmed or lost.
      const prev = decoded[0]!.prev;
      if (prev === "" || prev === null) return { ok: false, reason: "engine-restarted" };
      return { ok: false, reason: compareStreamIds(id, prev) < 0 ? "too-old" : "unknown-id" };
    }
    if (after.length > options.replayMaxBatches) return { ok: false, reason: "too-old" };
    const batches: Batch[] = [];
    for (const entry of after) if (entry.points) batches.push({ id: entry.id, points: entry.points });
    // Hold the answer until our reader delivered as far as the replay goes: the hub attaches the
    // subscriber live before replaying and dedupes only what arrives meanwhile, so a replayed batch
    // must never reach it live afterwards (no duplicates), and none past it may be missed (no gap).
    const reach = after[after.length - 1]?.id ?? id;
    if (!(await reader.waitDelivered(reach, options.replayCatchUpMs))) return { ok: false, reason: "lagged" };
    return { ok: true, batches };
  }

  const engine: RedisEngine = {
    kind: "redis",
    async publish(points: readonly Point[]): Promise<string> {
      if (closed) throw new Error("engine is closed");
      if (cmd.status !== "ready") {
        counters.publishErrors++;
        throw unavailable("publish");
      }
      const payload = encodePoints(points);
      try {
        const id = await append(payload);
        counters.published++;
        return id;
      } catch (error) {
        counters.publishErrors++;
        throw unavailable("publish", error);
      }
    },
    onBatch: (listener) => reader.onBatch(listener),
    onGap: (listener) => reader.onGap(listener),
    async replayAfter(id: string): Promise<ReplayResult> {
      if (!isStreamId(id)) return { ok: false, reason: "unparseable-id" };
      if (closed || cmd.status !== "ready") return { ok: false, reason: "lagged" };
      try {
        return await replay(id);
      } catch {
        // Redis went away mid-replay: we cannot prove there is no gap, so the client refetches instead.
        return { ok: false, reason: "lagged" };
      }
    },
    latestId: () => reader.latestId(),
    startId: () => STREAM_START_ID,
    compareIds: compareStreamIds,
    health(): EngineHealth {
      const ready = !closed && cmd.status === "ready" && readerConn.status === "ready";
      if (ready) return { engine: "redis", ready };
      const detail = closed ? "engine closed" : `redis ${cmd.status}: ${lastErrors.cmd ?? reader.lastError() ?? "not connected yet"}`;
      return { engine: "redis", ready, detail };
    },
    start: () => reader.start(),
    stats: () => ({ ...reader.stats(), ...counters, redisUp: cmd.status === "ready" && readerConn.status === "ready" }),
    async close() {
      if (closed) return;
      closed = true;
      cmd.disconnect();
      await reader.close();
    },
  };
  return engine;
}
