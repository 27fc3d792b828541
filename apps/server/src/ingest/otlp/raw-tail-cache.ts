import { randomInt } from "node:crypto";
import type { PointRefused } from "./emitter";

/** Attribute runs longer than this are not cached (nor are they kept as one run by the decoder). */
export const MAX_RAW_ATTRIBUTES = 1024;

/** One cached attribute run: its bytes under a scope, the label tail (or refusal) they make. */
export interface RawTail {
  readonly hash: number;
  readonly scope: string;
  readonly bytes: Buffer;
  readonly tail: string | PointRefused;
  /** The chain of entries whose hash is the same. */
  next: RawTail | undefined;
  /** The last series name asked for with this tail, and its key: a metric's series repeat every request. */
  lastName: string;
  lastKey: string;
}

/**
 * Most runs kept under one hash. FNV-1a is not a keyed hash: its steps can be undone, so a client can
 * solve label values whose runs share a hash. An unbounded chain let 8191 such runs make every lookup
 * compare all of them (~5 s of blocked event loop per small request); a bounded one costs at most this
 * many compares, and a flood only evicts the flooder's own runs.
 */
export const RAW_TAIL_CHAIN_LIMIT = 4;

const FNV_PRIME = 0x01000193;
/**
 * A per-process starting value instead of FNV's published offset basis, so runs cannot be solved
 * offline against a known start. Not a defence on its own (the chain limit is), but it makes a flood
 * take probing first.
 */
const HASH_START = randomInt(0, 2 ** 32 - 1) >>> 0;

/** FNV-1a of a string's UTF-16 units (a scope: the resource's label tail), the seed of its runs' hashes. */
export function scopeHash(scope: string): number {
  let h = HASH_START;
  for (let i = 0; i < scope.length; i++) h = Math.imul(h ^ scope.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * The label tail of each attribute run seen lately, keyed by the run's protobuf bytes under a scope
 * (the resource's labels, which join every tail), read in place: a data point whose attributes were
 * seen before costs one hash over its attribute bytes and one compare, no string. (The previous
 * key, the bytes as latin1 text joined to the scope, cost two strings per data point and a hash of both.)
 * Bounded: at most `capacity` runs of at most MAX_RAW_ATTRIBUTES bytes, when full it starts over;
 * at most RAW_TAIL_CHAIN_LIMIT runs per hash, the oldest let go first.
 */
export class RawTailCache {
  private buckets = new Map<number, RawTail>();
  private size = 0;

  constructor(
    /** Most attribute runs held. @default 8192 */
    private readonly capacity = 8192,
  ) {}

  /**
   * The hash of buf[start, end) under the scope whose scopeHash is `seed`: FNV-1a over 32-bit words
   * (then the odd bytes), which took ~40% less time than byte by byte in a micro-benchmark.
   */
  static hash(seed: number, buf: Uint8Array, start: number, end: number): number {
    let h = seed;
    let i = start;
    for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)), FNV_PRIME);
    for (; i < end; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME);
    h ^= h >>> 15;
    // A small integer: Map keys that need no heap number.
    return h & 0x3fffffff;
  }

  get(hash: number, scope: string, buf: Uint8Array, start: number, end: number): RawTail | undefined {
    for (let e = this.buckets.get(hash); e !== undefined; e = e.next) {
      if (e.scope === scope && sameBytes(e.bytes, buf, start, end)) return e;
    }
    return undefined;
  }

  set(hash: number, scope: string, buf: Uint8Array, start: number, end: number, tail: string | PointRefused): RawTail {
    if (this.size >= this.capacity) {
      this.buckets = new Map();
      this.size = 0;
    }
    // A copy: the request's body is not kept alive by the cache.
    const bytes = Buffer.from(buf.subarray(start, end));
    const entry: RawTail = { hash, scope, bytes, tail, next: this.buckets.get(hash), lastName: "", lastKey: "" };
    this.buckets.set(hash, entry);
    this.size++;
    // Cut the chain after its RAW_TAIL_CHAIN_LIMIT newest runs (set adds one at a time: at most one goes).
    let kept = entry;
    for (let n = 1; n < RAW_TAIL_CHAIN_LIMIT && kept.next !== undefined; n++) kept = kept.next;
    if (kept.next !== undefined) {
      kept.next = undefined;
      this.size--;
    }
    return entry;
  }

  /** How many runs are kept under one hash (at most RAW_TAIL_CHAIN_LIMIT). */
  chainLength(hash: number): number {
    let n = 0;
    for (let e = this.buckets.get(hash); e !== undefined; e = e.next) n++;
    return n;
  }
}

/**
 * Whether `a` holds buf[start, end). A loop here: runs are short (tens of bytes) and Buffer#compare's
 * call into C++ cost more than the loop in the same micro-benchmark.
 */
function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}
