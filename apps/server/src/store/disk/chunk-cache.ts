import { decodeChunk } from "./chunk-codec";
import type { DecodedChunk } from "./chunk-codec";

/**
 * Decoded sealed chunks by row id, least recently used out first, bounded in bytes. A sealed chunk
 * never changes, and dashboards ask for the same windows again and again (every page load, every
 * window switch), so a repeated query skips the XOR decoding, its main cost. Cleared whenever rows
 * are deleted, since SQLite may hand a deleted row's id to a new row.
 */
export class ChunkCache {
  private readonly entries = new Map<number, DecodedChunk>();
  private bytes = 0;

  constructor(
    /** @default 64 MiB */
    private readonly maxBytes = 64 * 1_048_576,
  ) {}

  get(rowid: number, data: () => Uint8Array): DecodedChunk {
    const hit = this.entries.get(rowid);
    if (hit !== undefined) {
      // Re-insert: Map iteration order is the LRU order.
      this.entries.delete(rowid);
      this.entries.set(rowid, hit);
      return hit;
    }
    const decoded = decodeChunk(data());
    const size = sizeOf(decoded);
    if (size > this.maxBytes) return decoded;
    this.entries.set(rowid, decoded);
    this.bytes += size;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= sizeOf(value);
    }
    return decoded;
  }

  /** Forgets one row (a late chunk rewritten with more points, see sealLate). */
  delete(rowid: number): void {
    const hit = this.entries.get(rowid);
    if (hit === undefined) return;
    this.entries.delete(rowid);
    this.bytes -= sizeOf(hit);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

const sizeOf = (chunk: DecodedChunk) => chunk.ts.byteLength * (1 + chunk.columns.length) + 64;
