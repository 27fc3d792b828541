import { Redis } from "ioredis";
import { SilenceSchema } from "@livedash/events";
import type { Silence } from "@livedash/events";
import { createSharedWrites, safeJson } from "./shared-writes";
import type { SharedAnnotations, SharedRules } from "./shared-writes";

/** Silences every instance shares (Redis): one created on any instance holds back every instance's notifications. */
export interface SharedSilences {
  load(): Promise<Silence[]>;
  put(silence: Silence): Promise<void>;
  remove(id: string): Promise<boolean>;
}

/**
 * Which instance sends a notification (and publishes a transition's stream point) when several share
 * one Redis. Every instance evaluates the same stream and queues the same notification ids; each
 * claims an id before sending it. A claim is a Redis key holding the claimer's id with a lease:
 * the holder sends and retries (extending the lease each attempt), then marks it done; the others
 * see "taken" and look again after the lease, so an instance that dies mid-retry is replaced once
 * its lease runs out, and one that sent marks "done" so nobody sends twice.
 */
export interface Claims {
  /** "mine": send it; "taken": another instance holds it; "done": someone sent it. */
  claim(id: string, leaseMs: number): Promise<"mine" | "taken" | "done">;
  done(id: string): Promise<void>;
  /** true for exactly one caller per key (for doneTtlMs). */
  once(key: string): Promise<boolean>;
  /** Present with Redis: silences are shared by every instance. */
  readonly silences?: SharedSilences;
  /** Present with Redis: rules saved from the dashboard are shared by every instance. */
  readonly rules?: SharedRules;
  /** Present with Redis: user annotations are shared by every instance. */
  readonly annotations?: SharedAnnotations;
  close(): Promise<void>;
}

/** One instance: every claim is ours. */
export const localClaims: Claims = {
  claim: () => Promise.resolve("mine"),
  done: () => Promise.resolve(),
  once: () => Promise.resolve(true),
  close: () => Promise.resolve(),
};

const DONE = "!done";
// Atomic compare-and-set: take a free claim, extend our own, report anyone else's.
const CLAIM_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 'mine' end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 'mine' end
if v == ARGV[3] then return 'done' end
return 'taken'`;

export interface RedisClaimsOptions {
  /** Key prefix. @default "livedash:alerts:" */
  prefix?: string;
  /** How long a "done" mark (and a once key) is kept: longer than any notification is retried. @default 7 days */
  doneTtlMs?: number;
}

export function createRedisClaims(url: string, instanceId: string, options: RedisClaimsOptions = {}): Claims {
  const prefix = options.prefix ?? "livedash:alerts:";
  const doneTtlMs = options.doneTtlMs ?? 7 * 86_400_000;
  // Its own connection: the engine's are busy with blocking stream reads. Commands fail fast while
  // Redis is down (the notifier retries later) instead of queueing without bound.
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: `livedash-alerts-${instanceId}` });
  // Errors surface on the commands; without a listener ioredis would print each reconnect failure.
  redis.on("error", () => undefined);
  const ready = new Promise<void>((resolve) => {
    if (redis.status === "ready") resolve();
    else redis.once("ready", () => resolve());
  });
  const withReady = async <T>(run: () => Promise<T>): Promise<T> => {
    if (redis.status !== "ready") await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error("redis not ready")), 2_000).unref())]);
    return run();
  };
  const shared = createSharedWrites(redis, withReady, { prefix });
  return {
    rules: shared.rules,
    annotations: shared.annotations,
    claim: (id, leaseMs) => withReady(async () => (await redis.eval(CLAIM_SCRIPT, 1, `${prefix}claim:${id}`, instanceId, String(Math.ceil(leaseMs)), DONE)) as "mine" | "taken" | "done"),
    done: (id) => withReady(async () => void (await redis.set(`${prefix}claim:${id}`, DONE, "PX", doneTtlMs))),
    once: (key) => withReady(async () => (await redis.set(`${prefix}once:${key}`, instanceId, "PX", doneTtlMs, "NX")) === "OK"),
    silences: {
      load: () =>
        withReady(async () => {
          const all = await redis.hgetall(`${prefix}silences`);
          const now = Date.now();
          const out: Silence[] = [];
          for (const [id, json] of Object.entries(all)) {
            const parsed = SilenceSchema.safeParse(safeJson(json));
            if (parsed.success && parsed.data.expiresAt > now) out.push(parsed.data);
            else await redis.hdel(`${prefix}silences`, id);
          }
          return out.sort((a, b) => a.expiresAt - b.expiresAt);
        }),
      put: (silence) => withReady(async () => void (await redis.hset(`${prefix}silences`, silence.id, JSON.stringify(silence)))),
      remove: (id) => withReady(async () => (await redis.hdel(`${prefix}silences`, id)) > 0),
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
