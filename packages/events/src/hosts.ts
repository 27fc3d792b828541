import { z } from "zod";
import { EventIdSchema } from "./live";
import { WIRE_LIMITS } from "./protocol/limits";

/**
 * The fleet: every distinct value of the `host` label that reports is a host (docs/architecture.md,
 * "Host registry"). `hosts.list` answers the current state; `hosts.live` streams it.
 */

/** Procedure paths of the fleet view (the ladder needs the live one's long-poll twin). */
export const HOSTS_LIVE_PROCEDURE = "hosts.live";
export const HOSTS_POLL_PROCEDURE = "hosts.poll";

/**
 * The series `livedash agent` sends each tick to declare how often it reports (its `--interval`, in
 * seconds), labelled with its `host`. Without it the server infers the interval from the spacing of
 * the host's points (the server's own collectors: its LIVEDASH_TICK_MS).
 */
export const AGENT_INTERVAL_SERIES = "livedash.agent.interval_seconds";

/** A host is down once this many expected intervals passed without a report. */
export const HOST_DOWN_AFTER_INTERVALS = 3;

export const HostStateSchema = z.enum(["up", "down"]);
export type HostState = z.infer<typeof HostStateSchema>;

export const HostSummarySchema = z.object({
  /** The `host` label value. */
  host: z.string(),
  state: HostStateSchema,
  /** Server time (epoch ms) the last report arrived (for Redis: when it entered the stream). */
  lastSeenAt: z.number(),
  /** The newest point timestamp the host sent (its own clock; buffered points may be older). */
  lastPointAt: z.number(),
  /** The interval the host reports at: declared by its agent, else inferred (at least the floor). */
  intervalMs: z.number(),
  intervalSource: z.enum(["declared", "inferred"]),
  /** When the state last changed (server time). */
  since: z.number(),
  /** Latest `host.cpu.total` of all cores (percent), or null before one arrived. */
  cpuPercent: z.number().nullable(),
  /** Latest `host.mem.used_percent`. */
  memPercent: z.number().nullable(),
  /** Latest `host.load.1m`. */
  load1: z.number().nullable(),
});
export type HostSummary = z.infer<typeof HostSummarySchema>;

/** The whole fleet at one moment: what `hosts.list` answers and each `hosts.live` event carries. */
export const HostsSnapshotSchema = z.object({
  /** Server time of the snapshot. */
  now: z.number(),
  /** Sorted by host name. */
  hosts: z.array(HostSummarySchema),
  /**
   * Hosts kept out because the registry was full with every host up (LIVEDASH_MAX_HOSTS): points
   * refused since the server started, the limit, and the host refused last. Absent when none was.
   */
  refused: z.object({ points: z.number(), maxHosts: z.number(), lastHost: z.string() }).optional(),
});
export type HostsSnapshot = z.infer<typeof HostsSnapshotSchema>;

/**
 * A `hosts.live` event. Every event is a whole snapshot (the fleet is capped, see LIVEDASH_MAX_HOSTS),
 * so a client that missed some needs no replay: the next one is the truth. Sent on subscribe, on every
 * state change and at most once per publish interval while values move.
 */
export const HostsEventSchema = HostsSnapshotSchema.extend({ type: z.literal("hosts") });
export type HostsEvent = z.infer<typeof HostsEventSchema>;

/** `hosts.live` input: `lastEventId` is accepted (the ladder sends it on resume) and answered with a snapshot. */
export const HostsLiveInputSchema = z.object({ lastEventId: EventIdSchema.nullish() }).strict();
export type HostsLiveInput = z.infer<typeof HostsLiveInputSchema>;

/**
 * `hosts.poll`, the long-poll twin of `hosts.live`: `waitMs: 0` answers the current snapshot at once;
 * otherwise the answer waits until the fleet moved past `cursor` (or `waitMs` passed: no events).
 */
export const HostsPollInputSchema = z
  .object({
    cursor: EventIdSchema.nullish(),
    waitMs: z.number().int("waitMs must be an integer").min(0, "waitMs must be at least 0").max(WIRE_LIMITS.maxPollWaitMs, `waitMs must be at most ${WIRE_LIMITS.maxPollWaitMs}`).default(25_000),
  })
  .strict();
export type HostsPollInput = z.input<typeof HostsPollInputSchema>;

export const HostsPollResultSchema = z.object({
  events: z.array(z.object({ id: EventIdSchema, event: HostsEventSchema })),
  cursor: EventIdSchema.nullable(),
});
export type HostsPollResult = z.infer<typeof HostsPollResultSchema>;
