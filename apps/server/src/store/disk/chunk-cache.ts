import { decodeChunk } from "./chunk-codec";
import type { DecodedChunk } from "./chunk-codec";

/**
 * Decoded sealed chunks by row id, least recently used out first, bounded in bytes. A sealed chunk
 * never changes, and dashboards ask for the same windows again and again (every page load, every
 * window switch), so a repeated query skips the XOR decoding, its main cost. Cleared whenever rows
 * are deleted, since SQLite may hand a deleted row's id to a new row.
 *
 * Decoded head chunks share the budget (`head`), keyed by the head object and valid for one version
 * of it. They used to hang off each head outside any budget: a 1-hour head holds up to 240 rows (ten
 * days), so after queries of every series 10 000 series held up to ~27 KB each decoded, ~270 MB.
 */
export class ChunkCache {
  private readonly entries = new Map<number | object, DecodedChunk>();
  private readonly versions = new WeakMap<object, number>();
  private bytes = 0;

  constructor(
    /** @default 64 MiB */
    private readonly maxBytes = 64 * 1_048_576,
  ) {}

  get(rowid: number, data: () => Uint8Array): DecodedChunk {
    return this.lookup(rowid, () => decodeChunk(data()));
  }

  /** The decoded chunk of a head at `version` (a head's version changes with every row it takes). */
  head(key: object, version: number, data: () => Uint8Array): DecodedChunk {
    if (this.versions.get(key) !== version) {
      this.delete(key);
      this.versions.set(key, version);
    }
    return this.lookup(key, () => decodeChunk(data()));
  }

  private lookup(key: number | object, decode: () => DecodedChunk): DecodedChunk {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Re-insert: Map iteration order is the LRU order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const decoded = decode();
    const size = sizeOf(decoded);
    if (size > this.maxBytes) return decoded;
    this.entries.set(key, decoded);
    this.bytes += size;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= sizeOf(value);
    }
    return decoded;
  }

  /** Forgets one row (a late chunk rewritten with more points, see sealLate) or head. */
  delete(rowid: number | object): void {
    const hit = this.entries.get(rowid);
    if (hit === undefined) return;
    this.entries.delete(rowid);
    this.bytes -= sizeOf(hit);
  }

  /** Bytes of decoded chunks held (what maxBytes bounds). */
  get bytesHeld(): number {
    return this.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

const sizeOf = (chunk: DecodedChunk) => chunk.ts.byteLength * (1 + chunk.columns.length) + 64;
