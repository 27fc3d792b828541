import { z } from "zod";
import { PointSchema } from "./point";

/**
 * A batch of points: everything one tick (or one ingest request) produced that the subscriber's patterns match.
 * `coalesced: true` marks a live event sent after the subscriber fell behind: it carries only the latest
 * point per series of the batches it stands for, so earlier points of those batches never reached this
 * subscriber (refetch `metrics.history` for them). Absent on every event that carries every point;
 * replays are never coalesced.
 */
export const PointsEventSchema = z.object({
  type: z.literal("points"),
  points: z.array(PointSchema),
  coalesced: z.literal(true).optional(),
});
export type PointsEvent = z.infer<typeof PointsEventSchema>;

/**
 * The server could not replay from the requested id (too old, another epoch, unparseable):
 * the client must refetch history instead of living with a silent gap. `aggregate-window`: an
 * aggregated subscription resumed from before what its aggregation kept (docs/aggregation.md).
 */
export const ResetEventSchema = z.object({
  type: z.literal("reset"),
  reason: z.enum(["unknown-id", "too-old", "foreign-epoch", "unparseable-id", "engine-restarted", "lagged", "aggregate-window"]),
});
export type ResetEvent = z.infer<typeof ResetEventSchema>;

export const LiveEventSchema = z.discriminatedUnion("type", [PointsEventSchema, ResetEventSchema]);
export type LiveEvent = z.infer<typeof LiveEventSchema>;

/** Event ids are opaque strings, strictly increasing per server (memory: `<epoch>-<seq>`, redis: stream id). */
export const EventIdSchema = z.string().min(1).max(100, "event id must be at most 100 characters");
export type EventId = z.infer<typeof EventIdSchema>;

export const IdentifiedEventSchema = z.object({ id: EventIdSchema, event: LiveEventSchema });
export type IdentifiedEvent = z.infer<typeof IdentifiedEventSchema>;
