import { resolve } from "node:path";
import { formatZodIssues, hostValueProblem, LIMIT_DEFAULTS } from "@livedash/events";
import { z } from "zod";
import { DEFAULT_RETENTION, parseRetention } from "./store/disk/retention";
import { LOG_LEVELS } from "./logger";
import { parseScrapeTargets } from "./scrape/targets";
import { checkHostEntry, LOOPBACK_HOST_NAMES } from "./security/host";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

const intFromEnv = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer from ${min} to ${max}, got "${raw}"` });
        return z.NEVER;
      }
      return value;
    });

const optionalSecret = (name: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return undefined;
      if (raw.length < 16) {
        ctx.addIssue({ code: "custom", message: `${name} must be at least 16 characters` });
        return z.NEVER;
      }
      return raw;
    });

/**
 * Every environment variable the server reads, validated in one place. Nothing else reads process.env.
 * Unknown LIVEDASH_* variables are an error too, so a typo does not silently fall back to a default.
 */
const EnvSchema = z.object({
  PORT: intFromEnv("PORT", 0, 65_535, 4000),
  HOST: z.string().min(1, "HOST must not be empty").default("127.0.0.1"),
  REDIS_URL: z
    .string()
    .optional()
    .refine((url) => url === undefined || url === "" || /^rediss?:\/\//.test(url), "REDIS_URL must start with redis:// or rediss://"),
  LIVEDASH_READ_TOKEN: optionalSecret("LIVEDASH_READ_TOKEN"),
  LIVEDASH_INGEST_TOKEN: optionalSecret("LIVEDASH_INGEST_TOKEN"),
  LIVEDASH_REDIS_STREAM: z.string().min(1, "LIVEDASH_REDIS_STREAM must not be empty").max(200, "LIVEDASH_REDIS_STREAM must be at most 200 characters").default("livedash:events"),
  LIVEDASH_REDIS_MAXLEN: intFromEnv("LIVEDASH_REDIS_MAXLEN", 100, 100_000_000, 100_000),
  LIVEDASH_ALLOWED_ORIGINS: z.string().optional(),
  LIVEDASH_ALLOWED_HOSTS: z.string().optional(),
  LIVEDASH_TICK_MS: intFromEnv("LIVEDASH_TICK_MS", 50, 60_000, 1000),
  LIVEDASH_COLLECTORS: z.enum(["on", "off"], { message: 'LIVEDASH_COLLECTORS must be "on" or "off"' }).default("on"),
  // The collectors' host label; a container's hostname is often a random id nobody recognizes.
  LIVEDASH_HOSTNAME: z
    .string()
    .optional()
    .superRefine((raw, ctx) => {
      const problem = raw ? hostValueProblem(raw) : null;
      if (problem) ctx.addIssue({ code: "custom", message: `LIVEDASH_HOSTNAME: ${problem}` });
    }),
  LIVEDASH_RETENTION_MS: intFromEnv("LIVEDASH_RETENTION_MS", 60_000, 7 * 24 * 3_600_000, 3_600_000),
  LIVEDASH_REPLAY_BATCHES: intFromEnv("LIVEDASH_REPLAY_BATCHES", 10, 10_000_000, 100_000),
  LIVEDASH_BATCH_WINDOW_MS: intFromEnv("LIVEDASH_BATCH_WINDOW_MS", 0, 1_000, 0),
  LIVEDASH_AGGREGATE_STALE_MS: intFromEnv("LIVEDASH_AGGREGATE_STALE_MS", 1_000, 24 * 3_600_000, 300_000),
  LIVEDASH_MAX_AGGREGATE_GROUPS: intFromEnv("LIVEDASH_MAX_AGGREGATE_GROUPS", 1, 100_000, 64),
  LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS: intFromEnv("LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS", 1, 100_000, 16),
  LIVEDASH_MAX_AGGREGATE_MEMBERS: intFromEnv("LIVEDASH_MAX_AGGREGATE_MEMBERS", 1, 10_000_000, 200_000),
  // Unset: an eighth of LIVEDASH_MAX_AGGREGATE_MEMBERS (0 stands for that here, the range starts at 1).
  LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS: intFromEnv("LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS", 1, 10_000_000, 0),
  LIVEDASH_AGGREGATE_CREATES_PER_MIN: intFromEnv("LIVEDASH_AGGREGATE_CREATES_PER_MIN", 1, 100_000, 16),
  LIVEDASH_MAX_BODY_BYTES: intFromEnv("LIVEDASH_MAX_BODY_BYTES", 1_024, 64 * 1_048_576, 1_048_576),
  LIVEDASH_MAX_POINTS_PER_REQUEST: intFromEnv("LIVEDASH_MAX_POINTS_PER_REQUEST", 1, 100_000, 10_000),
  LIVEDASH_MAX_SERIES: intFromEnv("LIVEDASH_MAX_SERIES", 1, 1_000_000, 10_000),
  LIVEDASH_INGEST_RATE: intFromEnv("LIVEDASH_INGEST_RATE", 1, 100_000_000, 100_000),
  // Unset: 10x LIVEDASH_INGEST_RATE (0 stands for that here, the range starts at 1).
  LIVEDASH_INGEST_ADDRESS_RATE: intFromEnv("LIVEDASH_INGEST_ADDRESS_RATE", 1, 1_000_000_000, 0),
  LIVEDASH_MAX_CONNECTIONS_PER_IP: intFromEnv("LIVEDASH_MAX_CONNECTIONS_PER_IP", 1, 1_000_000, LIMIT_DEFAULTS.maxConnectionsPerIp),
  LIVEDASH_HEADERS_TIMEOUT_MS: intFromEnv("LIVEDASH_HEADERS_TIMEOUT_MS", 1_000, 120_000, 10_000),
  LIVEDASH_REQUEST_TIMEOUT_MS: intFromEnv("LIVEDASH_REQUEST_TIMEOUT_MS", 1_000, 600_000, 30_000),
  LIVEDASH_MAX_HISTORY_POINTS: intFromEnv("LIVEDASH_MAX_HISTORY_POINTS", 1_000, 10_000_000, LIMIT_DEFAULTS.maxHistoryPointsPerQuery),
  LIVEDASH_MAX_PATTERNS: intFromEnv("LIVEDASH_MAX_PATTERNS", 1, 1_000, 256),
  LIVEDASH_MAX_LIVE_PATTERNS: intFromEnv("LIVEDASH_MAX_LIVE_PATTERNS", 1, 1_000_000, 2_048),
  LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS: intFromEnv("LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS", 1, 1_000_000, 512),
  LIVEDASH_MAX_LIVE_REGEX_MATCHERS: intFromEnv("LIVEDASH_MAX_LIVE_REGEX_MATCHERS", 0, 1_000_000, 256),
  LIVEDASH_MAX_WS_MESSAGES_PER_SEC: intFromEnv("LIVEDASH_MAX_WS_MESSAGES_PER_SEC", 1, 1_000_000, 200),
  LIVEDASH_STORAGE: z.enum(["disk", "memory"], { message: 'LIVEDASH_STORAGE must be "disk" or "memory"' }).default("disk"),
  LIVEDASH_DATA_DIR: z.string().min(1, "LIVEDASH_DATA_DIR must not be empty").max(4096, "LIVEDASH_DATA_DIR must be at most 4096 characters").default("livedash-data"),
  LIVEDASH_RETENTION: z
    .string()
    .default(DEFAULT_RETENTION)
    .transform((raw, ctx) => {
      const parsed = parseRetention(raw);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.message });
        return z.NEVER;
      }
      return parsed.tiers;
    }),
  LIVEDASH_MAX_SUBSCRIPTIONS_PER_WS: intFromEnv("LIVEDASH_MAX_SUBSCRIPTIONS_PER_WS", 1, 10_000, 64),
  LIVEDASH_MAX_BATCH_SIZE: intFromEnv("LIVEDASH_MAX_BATCH_SIZE", 1, 1_000, 100),
  LIVEDASH_MAX_POLLS_PER_IP: intFromEnv("LIVEDASH_MAX_POLLS_PER_IP", 1, 1_000_000, 100),
  LIVEDASH_MAX_LATE_POINTS: intFromEnv("LIVEDASH_MAX_LATE_POINTS", 0, 1_000_000, 1024),
  LIVEDASH_MAX_HOSTS: intFromEnv("LIVEDASH_MAX_HOSTS", 1, 100_000, 1_000),
  LIVEDASH_HOST_FORGET_MS: intFromEnv("LIVEDASH_HOST_FORGET_MS", 60_000, 365 * 24 * 3_600_000, 7 * 24 * 3_600_000),
  LIVEDASH_HOST_MIN_INTERVAL_MS: intFromEnv("LIVEDASH_HOST_MIN_INTERVAL_MS", 100, 3_600_000, 1_000),
  LIVEDASH_SHUTDOWN_TIMEOUT_MS: intFromEnv("LIVEDASH_SHUTDOWN_TIMEOUT_MS", 500, 120_000, 5_000),
  LIVEDASH_ALERT_RULES: z.string().max(4096, "LIVEDASH_ALERT_RULES must be at most 4096 characters").optional(),
  LIVEDASH_ALERT_WEBHOOK: z
    .string()
    .optional()
    .refine((url) => url === undefined || url === "" || (/^https?:\/\/[^\s]+$/.test(url) && URL.canParse(url)), "LIVEDASH_ALERT_WEBHOOK must be an http:// or https:// URL"),
  LIVEDASH_SCRAPE: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return [];
      const parsed = parseScrapeTargets(raw);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.message });
        return z.NEVER;
      }
      return parsed.targets;
    }),
  LIVEDASH_SCRAPE_INTERVAL_MS: intFromEnv("LIVEDASH_SCRAPE_INTERVAL_MS", 100, 3_600_000, 15_000),
  LIVEDASH_LOG: z.enum(LOG_LEVELS, { message: `LIVEDASH_LOG must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
});

export type LivedashConfig = ReturnType<typeof parseConfig>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses an env-like object; throws ConfigError with one line per problem, each naming the variable. */
export function parseConfig(env: Record<string, string | undefined>) {
  const unknown = Object.keys(env).filter((key) => key.startsWith("LIVEDASH_") && !(key in EnvSchema.shape));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown setting ${unknown.join(", ")} (known: ${Object.keys(EnvSchema.shape).filter((k) => k.startsWith("LIVEDASH_")).join(", ")})`);
  }
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(formatZodIssues(parsed.error, Number.POSITIVE_INFINITY));
  }
  const e = parsed.data;
  const loopback = LOOPBACK_HOSTS.has(e.HOST);
  if (!loopback && (!e.LIVEDASH_READ_TOKEN || !e.LIVEDASH_INGEST_TOKEN)) {
    throw new ConfigError(
      `HOST=${e.HOST} is not loopback: set LIVEDASH_READ_TOKEN and LIVEDASH_INGEST_TOKEN (16+ characters each) before listening on it`,
    );
  }
  const allowedOrigins = (e.LIVEDASH_ALLOWED_ORIGINS ?? "http://127.0.0.1:3000,http://localhost:3000")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    if (origin !== "*" && !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError(`LIVEDASH_ALLOWED_ORIGINS: "${origin}" is not an origin like http://host:port (or *)`);
    }
  }
  if (e.LIVEDASH_HEADERS_TIMEOUT_MS > e.LIVEDASH_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `LIVEDASH_HEADERS_TIMEOUT_MS (${e.LIVEDASH_HEADERS_TIMEOUT_MS}) must not be above LIVEDASH_REQUEST_TIMEOUT_MS (${e.LIVEDASH_REQUEST_TIMEOUT_MS}): the headers are part of the request`,
    );
  }
  const allowedHosts = parseAllowedHosts(e.LIVEDASH_ALLOWED_HOSTS, Boolean(e.LIVEDASH_READ_TOKEN && e.LIVEDASH_INGEST_TOKEN));
  return {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL || undefined,
    redisStream: e.LIVEDASH_REDIS_STREAM,
    redisMaxLen: e.LIVEDASH_REDIS_MAXLEN,
    readToken: e.LIVEDASH_READ_TOKEN,
    ingestToken: e.LIVEDASH_INGEST_TOKEN,
    allowedOrigins,
    /** Host names HTTP requests and WebSocket upgrades may carry; null: no check. */
    allowedHosts,
    tickMs: e.LIVEDASH_TICK_MS,
    collectors: e.LIVEDASH_COLLECTORS === "on",
    /** The collectors' `host` label; undefined: the machine's hostname. */
    hostname: e.LIVEDASH_HOSTNAME || undefined,
    retentionMs: e.LIVEDASH_RETENTION_MS,
    replayBatches: e.LIVEDASH_REPLAY_BATCHES,
    batchWindowMs: e.LIVEDASH_BATCH_WINDOW_MS,
    /** A member series without a point for this long leaves live aggregates (docs/aggregation.md). */
    aggregateStaleMs: e.LIVEDASH_AGGREGATE_STALE_MS,
    limits: {
      maxBodyBytes: e.LIVEDASH_MAX_BODY_BYTES,
      maxPointsPerRequest: e.LIVEDASH_MAX_POINTS_PER_REQUEST,
      maxSeries: e.LIVEDASH_MAX_SERIES,
      ingestPointsPerSec: e.LIVEDASH_INGEST_RATE,
      /**
       * Points per second one socket address may write in all, whatever hosts it names in X-Livedash-Host
       * (attack review F3: naming a new host per request multiplied the rate up to 1000x).
       */
      ingestPointsPerSecPerAddress: e.LIVEDASH_INGEST_ADDRESS_RATE || e.LIVEDASH_INGEST_RATE * 10,
      maxConnectionsPerIp: e.LIVEDASH_MAX_CONNECTIONS_PER_IP,
      maxPatterns: e.LIVEDASH_MAX_PATTERNS,
      /**
       * Distinct live selectors (canonical text, however a client wrote them) across every
       * subscription (a new series key is tested once against each), and per address (the ingest
       * token's holder counts as one).
       */
      maxLivePatterns: e.LIVEDASH_MAX_LIVE_PATTERNS,
      maxLivePatternsPerAddress: e.LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS,
      /**
       * Live aggregations (distinct selection + op + by) the server runs at once, idle ones included
       * (one no address holds gives way to a new one), and per address (those its subscribers are in or
       * left less than a minute ago). Each holds
       * member state and kept events (docs/aggregation.md, "Memory").
       */
      maxAggregateGroups: e.LIVEDASH_MAX_AGGREGATE_GROUPS,
      maxAggregateGroupsPerAddress: e.LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS,
      /** New live aggregations one address may start per minute (token bucket; each is seeded from the store). */
      aggregateCreatesPerMin: e.LIVEDASH_AGGREGATE_CREATES_PER_MIN,
      /** Member series all live aggregations hold state for together (each member is a few hundred bytes). */
      maxAggregateMembers: e.LIVEDASH_MAX_AGGREGATE_MEMBERS,
      /** Of those, what the aggregations charged to one address may hold (its fair share: an eighth unless set). */
      maxAggregateMembersPerAddress: e.LIVEDASH_MAX_AGGREGATE_MEMBERS_PER_ADDRESS || Math.max(1, Math.floor(e.LIVEDASH_MAX_AGGREGATE_MEMBERS / 8)),
      /** Regex matchers (=~, !~) across the distinct live selectors of the server (about 20x a glob's cost per character). */
      maxLiveRegexMatchers: e.LIVEDASH_MAX_LIVE_REGEX_MATCHERS,
      /** Series × maxPoints one metrics.history query may ask for (its largest possible answer). */
      maxHistoryPoints: e.LIVEDASH_MAX_HISTORY_POINTS,
      maxWsMessagesPerSec: e.LIVEDASH_MAX_WS_MESSAGES_PER_SEC,
      maxLatePoints: e.LIVEDASH_MAX_LATE_POINTS,
      /** Live subscriptions plus queries in flight (long-polls) on one WebSocket. */
      maxSubscriptionsPerWs: e.LIVEDASH_MAX_SUBSCRIPTIONS_PER_WS,
      /** Calls in one tRPC HTTP batch (`/trpc/a,b,c?batch=1`). */
      maxBatchSize: e.LIVEDASH_MAX_BATCH_SIZE,
      /** Long-polls (`metrics.poll` over HTTP) waiting at once per address. */
      maxPollsPerIp: e.LIVEDASH_MAX_POLLS_PER_IP,
      /** A request's headers must arrive within this (408 and the socket closed otherwise). */
      headersTimeoutMs: e.LIVEDASH_HEADERS_TIMEOUT_MS,
      /** A whole request, body included, must arrive within this; a response may take longer (streams). */
      requestTimeoutMs: e.LIVEDASH_REQUEST_TIMEOUT_MS,
    },
    /** The fleet view's host registry (docs/architecture.md, "Host registry"). */
    hosts: {
      /** Distinct `host` label values tracked at once; a new one past it is logged and not tracked. */
      maxHosts: e.LIVEDASH_MAX_HOSTS,
      /** A host not seen for this long leaves the list. */
      forgetAfterMs: e.LIVEDASH_HOST_FORGET_MS,
      /** Floor of an inferred report interval (down after 3 missed intervals). */
      minIntervalMs: e.LIVEDASH_HOST_MIN_INTERVAL_MS,
    },
    /** SIGTERM/SIGINT: time to drain (ingest answered, batcher flushed, engine closed) before a hard exit. */
    shutdownTimeoutMs: e.LIVEDASH_SHUTDOWN_TIMEOUT_MS,
    log: e.LIVEDASH_LOG,
    alerts: {
      /** Absolute path of the rules file (YAML or JSON), re-read on change; null: no file rules. */
      rulesFile: e.LIVEDASH_ALERT_RULES ? resolve(e.LIVEDASH_ALERT_RULES) : null,
      /** Where a rule without its own `webhook` sends its notifications; null: nowhere. */
      webhook: e.LIVEDASH_ALERT_WEBHOOK || null,
    },
    /** Prometheus targets pulled every `intervalMs` (text exposition or OpenMetrics); none: no scraping. */
    scrape: { targets: e.LIVEDASH_SCRAPE, intervalMs: e.LIVEDASH_SCRAPE_INTERVAL_MS },
    storage: {
      kind: e.LIVEDASH_STORAGE,
      /** Absolute; a relative LIVEDASH_DATA_DIR is resolved against the working directory. */
      dataDir: resolve(e.LIVEDASH_DATA_DIR),
      tiers: e.LIVEDASH_RETENTION,
    },
  };
}

/**
 * LIVEDASH_ALLOWED_HOSTS: unset means the loopback names, or no check at all when both tokens are set
 * (a DNS-rebinding page has no token); `*` turns the check off.
 */
function parseAllowedHosts(raw: string | undefined, tokensSet: boolean): readonly string[] | null {
  if (raw === undefined || raw.trim() === "") return tokensSet ? null : LOOPBACK_HOST_NAMES;
  const entries = raw.split(",").map((entry) => entry.trim()).filter(Boolean);
  if (entries.includes("*")) return null;
  for (const entry of entries) {
    const problem = checkHostEntry(entry);
    if (problem) throw new ConfigError(`LIVEDASH_ALLOWED_HOSTS: '${entry}' ${problem}`);
  }
  return entries;
}
