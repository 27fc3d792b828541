import type { Redis } from "ioredis";
import { AlertRuleInputSchema, AnnotationSchema } from "@livedash/events";
import type { AlertRule, Annotation } from "@livedash/events";

/** Rules saved from the dashboard, shared by every instance on one Redis. */
export interface SharedRules {
  load(): Promise<AlertRule[]>;
  put(rule: AlertRule): Promise<void>;
  remove(name: string): Promise<boolean>;
  /** Adds the rules Redis does not hold yet (HSETNX): a data directory's rules from before Redis mode. */
  seed(rules: readonly AlertRule[]): Promise<number>;
}

/** User annotations (the API, the CLI), shared by every instance on one Redis. */
export interface SharedAnnotations {
  add(annotation: Omit<Annotation, "id">): Promise<Annotation>;
  /** Those overlapping [from, to], in ts order, at most `limit`. */
  range(from: number, to: number, limit: number): Promise<Annotation[]>;
}

// One round trip, atomic: a cluster-wide id, the entry scored by its start, the longest range seen
// (so a range query can start early enough to find ranges that began before its window), the cap.
const ADD_ANNOTATION = `
local id = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[1], id .. ':' .. ARGV[2])
local span = tonumber(ARGV[3])
if span > tonumber(redis.call('GET', KEYS[3]) or '0') then redis.call('SET', KEYS[3], span) end
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1) end
return id`;

/** Entries read per ZRANGEBYSCORE page while filtering a range query: memory stays bounded whatever the set holds. */
const PAGE = 1_000;

const AnnotationBodySchema = AnnotationSchema.omit({ id: true });

export interface SharedWritesOptions {
  /** Key prefix. @default "livedash:alerts:" */
  prefix: string;
  /** User annotations kept (those with the oldest ts dropped first). @default 100_000 */
  maxAnnotations?: number;
}

/**
 * The dashboard's writes kept in Redis, so every instance behind a load balancer sees them: rules in a
 * hash (`<prefix>rules`, name -> rule JSON) that each instance re-reads every tick, annotations in a
 * sorted set (`<prefix>annotations`, scored by ts) read on each query. Each instance still records the
 * alert annotations of its own transitions locally: they are the same on every instance.
 */
export function createSharedWrites(redis: Redis, withReady: <T>(run: () => Promise<T>) => Promise<T>, options: SharedWritesOptions) {
  const { prefix } = options;
  const maxAnnotations = options.maxAnnotations ?? 100_000;
  const keys = { rules: `${prefix}rules`, annotations: `${prefix}annotations`, id: `${prefix}annotation-id`, span: `${prefix}annotation-max-span` };

  const rules: SharedRules = {
    load: () =>
      withReady(async () => {
        const all = await redis.hgetall(keys.rules);
        const out: AlertRule[] = [];
        for (const json of Object.values(all)) {
          // An entry no schema accepts (a hand edit, an older version) is skipped, not fatal: the others run.
          const parsed = AlertRuleInputSchema.safeParse(safeJson(json));
          if (parsed.success) out.push(parsed.data);
        }
        return out.sort((x, y) => x.name.localeCompare(y.name));
      }),
    put: (rule) => withReady(async () => void (await redis.hset(keys.rules, rule.name, JSON.stringify(rule)))),
    remove: (name) => withReady(async () => (await redis.hdel(keys.rules, name)) > 0),
    seed: (list) =>
      withReady(async () => {
        let added = 0;
        for (const rule of list) added += await redis.hsetnx(keys.rules, rule.name, JSON.stringify(rule));
        return added;
      }),
  };

  const annotations: SharedAnnotations = {
    add: (annotation) =>
      withReady(async () => {
        const span = annotation.endTs === null ? 0 : annotation.endTs - annotation.ts;
        const body = JSON.stringify({ ts: annotation.ts, endTs: annotation.endTs, text: annotation.text, tags: annotation.tags, source: annotation.source });
        const id = Number(await redis.eval(ADD_ANNOTATION, 3, keys.id, keys.annotations, keys.span, String(annotation.ts), body, String(span), String(maxAnnotations)));
        return { id, ...annotation };
      }),
    range: (from, to, limit) =>
      withReady(async () => {
        const span = Number((await redis.get(keys.span)) ?? 0);
        const out: Annotation[] = [];
        for (let offset = 0; out.length < limit; offset += PAGE) {
          const page = await redis.zrangebyscore(keys.annotations, Math.max(0, from - span), to, "LIMIT", offset, PAGE);
          for (const member of page) {
            const annotation = parseMember(member);
            if (annotation !== null && (annotation.endTs ?? annotation.ts) >= from) out.push(annotation);
            if (out.length >= limit) break;
          }
          if (page.length < PAGE) break;
        }
        return out;
      }),
  };

  return { rules, annotations };
}

function parseMember(member: string): Annotation | null {
  const colon = member.indexOf(":");
  const body = AnnotationBodySchema.safeParse(safeJson(member.slice(colon + 1)));
  const id = Number(member.slice(0, colon));
  return colon > 0 && Number.isSafeInteger(id) && body.success ? { id, ...body.data } : null;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
