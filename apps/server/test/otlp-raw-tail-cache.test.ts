import { describe, expect, it } from "vitest";
import { RAW_TAIL_CHAIN_LIMIT, RawTailCache, scopeHash } from "../src/ingest/otlp/raw-tail-cache";

/** A distinct attribute run per i (the bytes differ; the hash given to the cache is the same). */
function run(i: number): Buffer {
  const bytes = Buffer.alloc(128, 0x61);
  bytes.writeUInt32LE(i, 124);
  return bytes;
}

describe("RawTailCache", () => {
  // A review solved the last 4 bytes of label values so that 8191 attribute runs shared one hash (the
  // FNV-1a steps can be undone): every lookup of the oldest then walked and compared the whole chain,
  // ~5 s of blocked event loop per 688-byte gzip request, repeatable forever.
  it("runs made to share one hash (hash flooding) made every lookup walk all of them", () => {
    const cache = new RawTailCache();
    const flooded = 7;
    for (let i = 0; i < 8000; i++) {
      const bytes = run(i);
      cache.set(flooded, "", bytes, 0, bytes.length, `{i="${i}"}`);
    }
    expect(cache.chainLength(flooded)).toBeLessThanOrEqual(RAW_TAIL_CHAIN_LIMIT);
    // The newest runs are still answered from the cache; the oldest were let go, not walked to.
    const newest = run(7999);
    expect(cache.get(flooded, "", newest, 0, newest.length)?.tail).toBe('{i="7999"}');
    const oldest = run(0);
    expect(cache.get(flooded, "", oldest, 0, oldest.length)).toBeUndefined();
    // Other hashes are untouched by the flood.
    const other = run(123_456);
    cache.set(8, "", other, 0, other.length, '{i="other"}');
    expect(cache.get(8, "", other, 0, other.length)?.tail).toBe('{i="other"}');
  });

  it("keeps the entry count right when a full chain lets its oldest go", () => {
    const cache = new RawTailCache(16);
    for (let i = 0; i < 15; i++) {
      const bytes = run(i);
      cache.set(1, "", bytes, 0, bytes.length, String(i));
    }
    // 15 sets into one chain hold only RAW_TAIL_CHAIN_LIMIT entries, so the cache is far from full:
    // a run under another hash set now is still there after one more set (no start-over).
    const kept = run(1000);
    cache.set(2, "", kept, 0, kept.length, "kept");
    const next = run(1001);
    cache.set(3, "", next, 0, next.length, "next");
    expect(cache.get(2, "", kept, 0, kept.length)?.tail).toBe("kept");
  });

  it("hashes under a per-process seed, so runs cannot be solved offline for a known starting value", () => {
    // FNV-1a's published offset basis would be the hash of the empty scope with no seed.
    expect(scopeHash("")).not.toBe(0x811c9dc5);
    expect(scopeHash("")).toBe(scopeHash(""));
  });
});
