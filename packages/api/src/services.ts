import type { AlertsList, Annotation, AnnotationInputSchema, AnnotationQuerySchema, Silence, SilenceInputSchema } from "@livedash/events";
import type { z } from "zod";
import type { HostsEvent, HostsPollResult, HostsSnapshot } from "@livedash/events";
import type { Aggregate, HistoryBuckets, HistoryPoint, HistorySeries, IdentifiedEvent, IngestInput, IngestResult, LiveInput, PollResult, SeriesInfo, SeriesMeta, ServerInfo } from "@livedash/events";

/**
 * The server's one live path, as the procedures reach it: it decides replay, filtering, coalescing
 * and resets for every transport, so `metrics.live` and `metrics.poll` only hand events on.
 */
export interface LiveFeed {
  /** Replay after lastEventId, then live, as id-carrying events (tracked() by the procedure). */
  /** `caller` (the context's address) is whose live pattern caps the subscription counts against. */
  events(input: Pick<LiveInput, "series" | "lastEventId" | "aggregate">, signal: AbortSignal | undefined, caller?: string): AsyncIterable<IdentifiedEvent>;
  /** Events after the cursor as soon as any exist, or none at waitMs; with no cursor, from now. */
  poll(input: { series: readonly string[]; cursor?: string | null; waitMs: number; aggregate?: Aggregate | undefined }, signal: AbortSignal | undefined, caller?: string): Promise<PollResult>;
}

export interface HistoryQuery {
  readonly from: number;
  readonly to: number;
  readonly maxPoints: number;
  /** How many series the request reads with this query (the store bounds the request's rows with it). @default 1 */
  readonly seriesInRequest?: number;
}

/** What the procedures read from the series store (catalog, history) and write to it (descriptions). */
export interface CatalogStore {
  /** Declares or updates unit/kind/description/thresholds. */
  describe(meta: readonly SeriesMeta[]): void;
  catalog(): SeriesInfo[];
  /** Points in [from, to] downsampled to at most maxPoints buckets, each with mean, min and max. */
  history(series: string, query: HistoryQuery): HistoryPoint[];
  /** The same buckets as columns (what `metrics.historyColumns` sends; no object per bucket). */
  historyColumns(series: string, query: HistoryQuery): HistoryBuckets;
}

/** History of an aggregation by label (docs/aggregation.md). */
export interface AggregateQueries {
  /**
   * The series the entries select (a name selects all its label sets), aggregated per bucket into
   * output series named by name + `by` labels. Throws PAYLOAD_TOO_LARGE past the history budget.
   */
  history(series: readonly string[], aggregate: Aggregate, query: HistoryQuery): HistorySeries[];
}

/** The one write path (limits, cardinality cap, rate limit, one batch) shared with the HTTP ingest routes. */
export interface IngestPath {
  accept(input: { points: IngestInput["points"]; meta?: SeriesMeta[] }, clientKey: string): Promise<IngestResult>;
}

/** A refusal the router turns into a TRPCError with this code. */
export type AlertsResult = { ok: true } | { ok: false; code: "BAD_REQUEST" | "CONFLICT" | "NOT_FOUND"; message: string };

/** Alert rules, silences and annotations (the server's alerts/), as the procedures reach them. */
export interface AlertsApi {
  list(): AlertsList;
  /** Validates (errors name the field) and saves a rule from the dashboard; it runs at once. */
  saveRule(rule: unknown): Promise<AlertsResult>;
  deleteRule(name: string): Promise<AlertsResult>;
  silence(input: z.output<typeof SilenceInputSchema>): Promise<{ ok: true; silence: Silence } | { ok: false; message: string }>;
  unsilence(id: string): Promise<boolean>;
  /** With Redis, user annotations are kept there (every instance lists them). */
  annotate(input: z.output<typeof AnnotationInputSchema>): Promise<Annotation>;
  annotations(query: z.output<typeof AnnotationQuerySchema>): Promise<Annotation[]>;
}

/** The fleet (the server's host registry), as the procedures reach it. */
export interface HostsApi {
  list(): HostsSnapshot;
  /** The current snapshot at once, then each published one (coalesced), until `signal` aborts. */
  events(signal: AbortSignal | undefined): AsyncIterable<{ id: string; event: HostsEvent }>;
  /** Long-poll twin of `events` (see HostsPollInputSchema). */
  poll(input: { cursor?: string | null | undefined; waitMs: number }, signal: AbortSignal | undefined): Promise<HostsPollResult>;
}

/**
 * Everything a procedure may use. The server builds one implementation in createServer() (its own
 * Services extends this); tests may hand a smaller fake to createCaller.
 */
export interface ApiServices {
  readonly config: {
    /** How far back history reaches when a query gives no `from`. */
    readonly retentionMs: number;
    readonly limits: {
      readonly maxPatterns: number;
      /** Series × maxPoints one metrics.history query may ask for. */
      readonly maxHistoryPoints: number;
    };
  };
  readonly live: LiveFeed;
  readonly store: CatalogStore;
  readonly aggregates: AggregateQueries;
  readonly ingest: IngestPath;
  readonly alerts: AlertsApi;
  readonly hosts: HostsApi;
  readonly tickets: { issue(): { ticket: string; expiresAt: number } };
  /** Open long-polls, counted for the self collector and /metrics. */
  readonly traffic: { polls: number };
  info(): ServerInfo;
}
