import { z } from "zod";
import { SeriesKeySchema } from "./labels";
import type { HistoryBuckets, HistoryColumns } from "./procedures";

/**
 * How `metrics.historyColumns` sends its numbers. `json` (the default): plain arrays of numbers.
 * `f64`: each column as base64 of little-endian IEEE-754 doubles. Formatting ~144 000 doubles as
 * JSON text (and parsing them back) is most of a 30-day query's time; copying their bytes is not.
 * Both carry the same numbers; f64 carries every bit (JSON writes -0 as 0).
 */
export const HistoryEncodingSchema = z.enum(["json", "f64"]);
export type HistoryEncoding = z.infer<typeof HistoryEncodingSchema>;

const base64Column = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64").refine((s) => s.length % 4 === 0, "must be base64 of whole doubles");

/** One series of `metrics.historyColumns` with `encoding: "f64"`: `count` buckets, 8 bytes each per column. */
export const HistoryColumnsF64Schema = z
  .object({
    series: SeriesKeySchema,
    encoding: z.literal("f64"),
    count: z.number().int().nonnegative(),
    ts: base64Column,
    value: base64Column,
    min: base64Column,
    max: base64Column,
  })
  .refine((c) => [c.ts, c.value, c.min, c.max].every((s) => base64Bytes(s) === c.count * 8), {
    message: "ts, value, min and max must each hold count doubles",
    path: ["count"],
  });
export type HistoryColumnsF64 = z.infer<typeof HistoryColumnsF64Schema>;

/** What `metrics.historyColumns` answers for one series, whichever the encoding. */
export type HistoryColumnsWire = HistoryColumns | HistoryColumnsF64;

/** Node's Buffer when present (fast native base64); the browser has none and takes the portable path. */
interface NodeBuffer {
  from(data: ArrayBufferLike, offset: number, length: number): { toString(encoding: "base64"): string };
  from(data: string, encoding: "base64"): Uint8Array;
}
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

function base64Bytes(s: string): number {
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/** Base64 of bytes without Buffer (btoa over latin-1 chunks: String.fromCharCode takes bounded arguments). */
export function base64FromBytesPortable(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Bytes of base64 without Buffer. */
export function bytesFromBase64Portable(s: string): Uint8Array {
  const binary = atob(s);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Numbers as base64 of little-endian doubles (DataView: the byte order does not depend on the machine). */
export function encodeF64(numbers: readonly number[]): string {
  const bytes = new Uint8Array(numbers.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < numbers.length; i++) view.setFloat64(i * 8, numbers[i] as number, true);
  return nodeBuffer ? nodeBuffer.from(bytes.buffer, 0, bytes.length).toString("base64") : base64FromBytesPortable(bytes);
}

/** The inverse of encodeF64: a packed array of exactly the doubles encoded, bit for bit. */
export function decodeF64(s: string): number[] {
  const bytes = nodeBuffer ? nodeBuffer.from(s, "base64") : bytesFromBase64Portable(s);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let offset = 0; offset + 8 <= bytes.byteLength; offset += 8) out.push(view.getFloat64(offset, true));
  return out;
}

/** One series' columns in the f64 encoding. */
export function encodeHistoryColumnsF64(series: string, buckets: HistoryBuckets): HistoryColumnsF64 {
  return { series, encoding: "f64", count: buckets.ts.length, ts: encodeF64(buckets.ts), value: encodeF64(buckets.value), min: encodeF64(buckets.min), max: encodeF64(buckets.max) };
}

/** A `metrics.historyColumns` answer in either encoding as plain columns (what charts read). */
export function decodeHistoryColumns(answer: readonly HistoryColumnsWire[]): HistoryColumns[] {
  return answer.map((c) => ("encoding" in c ? { series: c.series, ts: decodeF64(c.ts), value: decodeF64(c.value), min: decodeF64(c.min), max: decodeF64(c.max) } : c));
}
