import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import type { Point, ResetEvent } from "@livedash/events";
import { decodeEntry, encodePoints, FIELD_POINTS, FIELD_PREV } from "./redis-codec";
import { compareStreamIds, isStreamId, nextStreamId, STREAM_START_ID } from "./redis-ids";
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
/** Entries per XRANGE round trip of a replay. */
const REPLAY_PAGE_SIZE = 1_000;
/** A memory-engine id (`<base36 epoch>-<seq>`): a client that was served by an instance without Redis. */
const MEMORY_ID_RE = /^[0-9a-z]*[a-z][0-9a-z]*-\d{1,15}$/;

/** A replay read once for every caller resuming from the same id; `reach` is the newest id it read up to. */
interface SharedReplay {
  readonly result: ReplayResult;
  readonly reach: string;
}

function failed(reason: ResetEvent["reason"], id: string): SharedReplay {
  return { result: { ok: false, reason }, reach: id };
}

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
  const inflightReplays = new Map<string, Promise<SharedReplay>>();
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
    return new EngineUnavailableError(`redis is unavailable (${what}): ${why}`, `redis is unavailable (${what})`, { cause });
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

  /** Why `id` cannot be replayed when the stream has nothing at or after it. */
  async function nothingAfter(id: string): Promise<ReplayResult> {
    if (id === STREAM_START_ID) return { ok: true, batches: [] };
    // Gone (Redis restarted empty), or an id from the future that this stream never issued.
    return { ok: false, reason: (await newestId()) === null ? "engine-restarted" : "unknown-id" };
  }

  async function replay(id: string): Promise<SharedReplay> {
    // Redis assigns `*` ids from its clock, so `0-<n>` (other than the start id) was never issued.
    if (id.startsWith("0-") && id !== STREAM_START_ID) return failed("unknown-id", id);
    const cap = options.replayMaxBatches;
    const pageSize = Math.min(REPLAY_PAGE_SIZE, cap + 2);
    // Inclusive start: finding `id` itself proves nothing after it was trimmed.
    const firstPage = await cmd.xrange(key, id, "+", "COUNT", pageSize);
    if (firstPage.length === 0) return { result: await nothingAfter(id), reach: id };
    const head = decodeEntry(firstPage[0]![0], firstPage[0]![1]);
    if (head.id !== id && head.prev !== (id === STREAM_START_ID ? "" : id)) {
      // The entry after `id` is not linked to it: entries in between were trimmed, or lost with Redis.
      if (head.prev === "" || head.prev === null) return failed("engine-restarted", id);
      return failed(compareStreamIds(id, head.prev) < 0 ? "too-old" : "unknown-id", id);
    }
    const after = firstPage.map(([entryId, fields]) => decodeEntry(entryId, fields));
    if (head.id === id) after.shift();
    // Later pages in bounded round trips, so a long replay never blocks Redis with one huge reply.
    let page = firstPage;
    for (let round = 0; page.length === pageSize && after.length <= cap && round < cap; round++) {
      page = await cmd.xrange(key, `(${page[page.length - 1]![0]}`, "+", "COUNT", pageSize);
      for (const [entryId, fields] of page) after.push(decodeEntry(entryId, fields));
    }
    if (after.length > cap) return failed("too-old", id);
    const batches: Batch[] = [];
    for (const entry of after) if (entry.points) batches.push({ id: entry.id, points: entry.points });
    // Hold the answer until our reader delivered as far as the replay goes: the hub attaches the
    // subscriber live before replaying and dedupes only what arrives meanwhile, so a replayed batch
    // must never reach it live afterwards (no duplicates), and none past it may be missed (no gap).
    const reach = after[after.length - 1]?.id ?? id;
    if (!(await reader.waitDelivered(reach, options.replayCatchUpMs))) return failed("lagged", id);
    return { result: { ok: true, batches }, reach };
  }

  /** One Redis read per id for every caller that asks while it is in flight. */
  function sharedReplay(id: string): Promise<SharedReplay> {
    let pending = inflightReplays.get(id);
    if (!pending) {
      pending = replay(id)
        // Redis went away mid-replay: we cannot prove there is no gap, so the client refetches instead.
        .catch((): SharedReplay => failed("lagged", id))
        .finally(() => inflightReplays.delete(id));
      inflightReplays.set(id, pending);
    }
    return pending;
  }

  /**
   * A replay that reaches at least `joinedAt` (where the reader was when the caller attached live).
   * A shared replay may have been read before the reader delivered newer entries: a caller that
   * attached after those were delivered gets them from neither the replay nor the live bus, so the
   * missing tail is read on top.
   */
  async function replayCovering(id: string, joinedAt: string | null): Promise<ReplayResult> {
    const first = await sharedReplay(id);
    if (!first.result.ok || joinedAt === null) return first.result;
    let { batches } = first.result;
    let { reach } = first;
    while (compareStreamIds(reach, joinedAt) < 0) {
      const more = await sharedReplay(reach);
      if (!more.result.ok) return more.result;
      // A round that reads nothing new cannot reach joinedAt (the stream lost it): refetch instead.
      if (compareStreamIds(more.reach, reach) <= 0) return { ok: false, reason: "lagged" };
      batches = [...batches, ...more.result.batches];
      reach = more.reach;
    }
    return batches === first.result.batches ? first.result : { ok: true, batches };
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
    replayAfter(id: string): Promise<ReplayResult> {
      if (!isStreamId(id)) return Promise.resolve({ ok: false, reason: MEMORY_ID_RE.test(id) ? "foreign-epoch" : "unparseable-id" });
      if (closed || cmd.status !== "ready") return Promise.resolve({ ok: false, reason: "lagged" });
      // When an instance dies, its clients reconnect elsewhere at once, mostly with the same last id:
      // one Redis read serves them all (the hub only reads the batches, never mutates them).
      return replayCovering(id, reader.latestId());
    },
    latestId: () => reader.latestId(),
    startId: () => STREAM_START_ID,
    compareIds: compareStreamIds,
    idAfter: nextStreamId,
    health(): EngineHealth {
      const ready = !closed && cmd.status === "ready" && readerConn.status === "ready";
      if (ready) return { engine: "redis", ready };
      if (closed) return { engine: "redis", ready, detail: "engine closed" };
      // The raw error may name internal addresses: it goes to the log, the status word to callers.
      return { engine: "redis", ready, detail: `redis ${cmd.status}`, cause: lastErrors.cmd ?? reader.lastError() ?? "not connected yet" };
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
