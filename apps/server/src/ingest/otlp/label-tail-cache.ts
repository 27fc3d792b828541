import type { OtlpKeyValue } from "./model";

/** Attribute sets longer than this (keys and values) are not cached: the cache stays small per entry. */
const MAX_CACHED_SIGNATURE = 1024;

/**
 * The label tail (`{a="x",...}`) or the refusal of each attribute set seen lately, so a producer's
 * steady stream of the same series costs one string and one Map lookup per data point instead of
 * building, checking, sorting and escaping its labels again (the mapping's main cost).
 * Bounded: at most `capacity` entries of at most ~1 KiB of key; when full it starts over.
 */
export class LabelTailCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    /** Most attribute sets held. @default 8192 */
    private readonly capacity = 8192,
  ) {}

  /**
   * The cache key of `attributes` under a resource (`scope`), or null when they cannot be cached
   * (a non-string value, whose text depends on more than its bytes here, or a large set).
   */
  keyOf(scope: string, attributes: readonly OtlpKeyValue[]): string | null {
    let key = scope;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      const text = attribute.value?.stringValue;
      if (text == null) return null;
      // Length-prefixed: no key or value text, whatever characters it holds, can imitate a boundary
      // (separators alone let `a="x<sep>b<sep>y"` share the cache entry of `a="x", b="y"`).
      key += attribute.key.length + ":" + attribute.key + text.length + ":" + text;
      if (key.length > MAX_CACHED_SIGNATURE) return null;
    }
    return key;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T): void {
    if (this.entries.size >= this.capacity) this.entries.clear();
    this.entries.set(key, value);
  }
}
