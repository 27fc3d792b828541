import { describe, expect, it } from "vitest";
import { ChunkCache } from "../src/store/disk/chunk-cache";
import { ChunkEncoder } from "../src/store/disk/chunk-codec";

function chunkOf(rows: number, offset = 0): Uint8Array {
  const enc = new ChunkEncoder(1);
  for (let i = 0; i < rows; i++) enc.append(1_000 + i * 1000, [offset + i]);
  return enc.bytes();
}

describe("decoded head chunks share the chunk cache's byte budget (#11: memory grew with the age of the data)", () => {
  it("decoding the heads of many series holds no more than the budget", () => {
    const cache = new ChunkCache(10_000);
    const data = chunkOf(100);
    // 100 rows decode to 100 x 2 x 8 bytes + 64: about 1.7 KB each, 50 heads would be 83 KB.
    const heads = Array.from({ length: 50 }, () => ({}));
    for (const head of heads) expect(cache.head(head, 1, () => data).ts.length).toBe(100);
    expect(cache.bytesHeld).toBeGreaterThan(0);
    expect(cache.bytesHeld).toBeLessThanOrEqual(10_000);
  });

  it("a head's decoded rows are reused for one version and decoded again for the next", () => {
    const cache = new ChunkCache();
    const head = {};
    const first = cache.head(head, 1, () => chunkOf(3));
    expect(cache.head(head, 1, () => chunkOf(1))).toBe(first);
    const next = cache.head(head, 2, () => chunkOf(4, 10));
    expect(Array.from(next.columns[0] ?? [])).toEqual([10, 11, 12, 13]);
    expect(cache.bytesHeld).toBe(4 * 2 * 8 + 64);
  });
});
