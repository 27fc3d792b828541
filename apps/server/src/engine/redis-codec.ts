import type { Point } from "@livedash/events";

/**
 * One stream entry per batch. Fields:
 * - `p`: the batch's points, serialized once as compact JSON `[[series, ts, value], ...]`
 *   (about half the bytes of `{series,ts,value}` objects, and one JSON.parse per batch on read);
 * - `prev`: the id of the entry before this one ("" for the first entry of a fresh stream).
 * `prev` turns the stream into a chain, so a reader or a replay can tell "nothing in between"
 * from "entries in between were trimmed or lost with a Redis restart" without guessing from ids.
 */
export const FIELD_POINTS = "p";
export const FIELD_PREV = "prev";

export function encodePoints(points: readonly Point[]): string {
  return JSON.stringify(points.map((p) => [p.series, p.ts, p.value]));
}

export interface DecodedEntry {
  readonly id: string;
  /** null when the entry has no `prev` field (not written by this engine). */
  readonly prev: string | null;
  /** null when the payload is not a valid points array. */
  readonly points: Point[] | null;
}

/** Decodes one XRANGE/XREAD entry (`[id, [field, value, ...]]`); never throws. */
export function decodeEntry(id: string, fields: readonly string[]): DecodedEntry {
  let prev: string | null = null;
  let payload: string | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === FIELD_PREV) prev = fields[i + 1]!;
    else if (fields[i] === FIELD_POINTS) payload = fields[i + 1]!;
  }
  return { id, prev, points: payload === null ? null : decodePoints(payload) };
}

/**
 * Structural check rather than zod: entries were validated by the instance that published them;
 * this only guards against foreign writers to the same key, per point, at a fraction of zod's cost.
 */
function decodePoints(payload: string): Point[] | null {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!Array.isArray(raw)) return null;
  const points = new Array<Point>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const item: unknown = raw[i];
    if (!Array.isArray(item) || item.length !== 3) return null;
    const [series, ts, value] = item as unknown[];
    if (typeof series !== "string" || typeof ts !== "number" || typeof value !== "number") return null;
    if (!Number.isFinite(ts) || !Number.isFinite(value)) return null;
    points[i] = { series, ts, value };
  }
  return points;
}
