import { LiveInputSchema, formatZodIssues } from "@livedash/events";
import type { LiveInput } from "@livedash/events";

export type LiveRequest = { ok: true; input: LiveInput } | { ok: false; message: string };

/** Validates a live subscription request from any transport, including the per-server pattern limit. */
export function parseLiveRequest(raw: unknown, maxPatterns: number): LiveRequest {
  const parsed = LiveInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: formatZodIssues(parsed.error) };
  if (parsed.data.series.length > maxPatterns) {
    return { ok: false, message: `series: at most ${maxPatterns} patterns per subscription (got ${parsed.data.series.length}; LIVEDASH_MAX_PATTERNS)` };
  }
  return { ok: true, input: parsed.data };
}
