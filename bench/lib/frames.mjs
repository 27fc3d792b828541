/**
 * Cheap per-frame accounting for load clients. Counting must not make the clients the bottleneck,
 * so unsampled frames are only scanned for byte patterns (Buffer.indexOf is native memchr/memmem);
 * one frame in `sampleEvery` is JSON-parsed to measure latency. Patterns rely on JSON.stringify's
 * output having no space after ':' on every transport (tRPC and ours both use plain JSON.stringify).
 */

const POINTS_MARK = Buffer.from('"points":[');
const SERIES_MARK = Buffer.from('"series":');
const SSE_DATA_PREFIX = Buffer.from("data: ");
const SSE_BLOCK_END = Buffer.from("\n\n");

/**
 * @param {Buffer} buf
 * @param {Buffer} needle
 * @param {number} [start]
 * @param {number} [end]
 */
export function countOccurrences(buf, needle, start = 0, end = buf.length) {
  let count = 0;
  let at = buf.indexOf(needle, start);
  while (at !== -1 && at + needle.length <= end) {
    count += 1;
    at = buf.indexOf(needle, at + needle.length);
  }
  return count;
}

/**
 * Finds the `points` array in any of our frame shapes: raw/tRPC WS
 * `{id, result: {data: {id, data: {type, points}}}}`, tRPC SSE `{type, points}` and /sse `{type, points}`.
 * @param {unknown} value
 * @param {number} depth
 * @returns {Array<{ts:number}> | null}
 */
export function findPoints(value, depth = 0) {
  if (value === null || typeof value !== "object" || depth > 5) return null;
  const record = /** @type {Record<string, unknown>} */ (value);
  if (Array.isArray(record.points)) return /** @type {Array<{ts:number}>} */ (record.points);
  for (const key of ["result", "data"]) {
    const found = findPoints(record[key], depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Accounts one complete frame (a WS message, or the `data:` payload region of one SSE block).
 * Returns the number of points events and points seen, and records latency when `sample` is true.
 * @param {Buffer} frame
 * @param {number} start
 * @param {number} end
 * @param {boolean} sample
 * @param {(latencyMs: number) => void} recordLatency
 * @param {number} nowMs
 */
export function accountFrame(frame, start, end, sample, recordLatency, nowMs) {
  const events = countOccurrences(frame, POINTS_MARK, start, end);
  if (events === 0) return { events: 0, points: 0 };
  const points = countOccurrences(frame, SERIES_MARK, start, end);
  if (sample) {
    const parsed = findPoints(JSON.parse(frame.toString("utf8", start, end)));
    if (parsed) for (const p of parsed) recordLatency(nowMs - p.ts);
  }
  return { events, points };
}

/**
 * Splits an SSE byte stream into blocks (separated by a blank line) and hands every block's
 * `data:` payload to `onData`. Servers write one event per write, so the common case is a chunk that
 * holds whole blocks and needs no copy; a split block is carried over in `pending`.
 */
export function createSseSplitter(/** @type {(buf: Buffer, start: number, end: number) => void} */ onData) {
  /** @type {Buffer | null} */
  let pending = null;
  return {
    /** @param {Buffer} chunk */
    push(chunk) {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      let blockStart = 0;
      for (let guard = 0; guard < 1_000_000; guard += 1) {
        const blockEnd = buf.indexOf(SSE_BLOCK_END, blockStart);
        if (blockEnd === -1) break;
        emitData(buf, blockStart, blockEnd, onData);
        blockStart = blockEnd + SSE_BLOCK_END.length;
      }
      if (blockStart < buf.length) pending = buf.subarray(blockStart);
    },
  };
}

/** Finds `data: ` lines inside one block; multi-line data is not used by either server. */
function emitData(buf, start, end, onData) {
  let lineStart = start;
  while (lineStart < end) {
    let lineEnd = buf.indexOf(10, lineStart);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (buf.compare(SSE_DATA_PREFIX, 0, SSE_DATA_PREFIX.length, lineStart, lineStart + SSE_DATA_PREFIX.length) === 0) {
      onData(buf, lineStart + SSE_DATA_PREFIX.length, lineEnd);
    }
    lineStart = lineEnd + 1;
  }
}

/** Reads an `id:` line value from an SSE block (used only for the slow consumer, which parses everything). */
export function sseIdOf(/** @type {string} */ block) {
  const match = /^id: ?(.*)$/m.exec(block);
  return match ? match[1] : null;
}
