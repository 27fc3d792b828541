import type { BitReader, BitWriter } from "./bit-stream";

/**
 * Exact "small fraction" values for the chunk codec (format version 2). Many values a collector
 * derives are a ratio of two integers: a CPU percentage is 100 * busy jiffies / all jiffies (about
 * 100 a second), so 8.571428571428571 is 60 / 7. XOR-ing such doubles gains nothing (the mantissa
 * changes entirely, ~7.5 bytes a value); as the fraction k / q they cost a few bits. A value is
 * written this way only when `k / q` gives back exactly the same double (checked with Object.is, so
 * -0 never is) and it is cheaper than its XOR form; nothing is rounded.
 */

/** Largest denominator tried (16 bits). */
export const MAX_DENOMINATOR = 65_535;
/**
 * Largest numerator: deltas between two numerators (and their zigzag) stay exact doubles below 2^53.
 */
const MAX_NUMERATOR = 2 ** 50;
/** Continued-fraction steps tried before giving up (convergent denominators grow at least like Fibonacci). */
const MAX_STEPS = 24;

export interface RationalState {
  /** Numerator and denominator of the previous value written as a fraction. */
  k: number;
  q: number;
}

export const newRationalState = (): RationalState => ({ k: 0, q: 1 });

const found: [number, number] = [0, 1];

/**
 * [k, q] with q <= MAX_DENOMINATOR and k / q === value bit for bit, or null. Tries the previous
 * denominator first, then (unless `search` is false: the encoder's column has been noise, see
 * FRACTION_RETRY in chunk-codec.ts) the convergents of the value's continued fraction (a fraction
 * with a small denominator that close to the double is one of them).
 */
export function findRational(value: number, previousQ: number, search = true): [number, number] | null {
  if (!Number.isFinite(value) || Object.is(value, -0)) return null;
  const k = Math.round(value * previousQ);
  if (Math.abs(k) <= MAX_NUMERATOR && Object.is(k / previousQ, value)) {
    found[0] = k;
    found[1] = previousQ;
    return found;
  }
  if (!search) return null;
  let x = value;
  let h0 = 0;
  let h1 = 1;
  let q0 = 1;
  let q1 = 0;
  for (let step = 0; step < MAX_STEPS; step++) {
    const a = Math.floor(x);
    const h2 = a * h1 + h0;
    const q2 = a * q1 + q0;
    if (q2 > MAX_DENOMINATOR || !(Math.abs(h2) <= MAX_NUMERATOR)) return null;
    if (Object.is(h2 / q2, value)) {
      found[0] = h2;
      found[1] = q2;
      return found;
    }
    const frac = x - a;
    if (frac === 0) return null;
    x = 1 / frac;
    h0 = h1;
    h1 = h2;
    q0 = q1;
    q1 = q2;
  }
  return null;
}

const zigzag = (d: number) => (d >= 0 ? 2 * d : -2 * d - 1);
const unzigzag = (z: number) => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** Numerator delta buckets: (prefix, prefix bits, payload bits); the last takes any safe delta. */
const K_BUCKETS: readonly (readonly [number, number, number])[] = [
  [0b0, 1, 6],
  [0b10, 2, 13],
  [0b110, 3, 24],
  [0b111, 3, 52],
];

/**
 * Index in K_BUCKETS of the smallest bucket that holds zigzag `z`. Compares with constants: this runs
 * twice for every value a chunk tries as a fraction (cost, then write), and the loop with `2 ** bits`
 * it replaces was a seventh of the disk store's ingest CPU.
 */
function kBucketIndex(z: number): number {
  return z < 64 ? 0 : z < 8192 ? 1 : z < 16_777_216 ? 2 : 3;
}

/** Bits the fraction takes after its control bits. */
export function rationalCost(s: RationalState, k: number, q: number): number {
  const qBits = q === s.q ? 1 : q < 256 ? 10 : 18;
  const bucket = K_BUCKETS[kBucketIndex(zigzag(k - s.k))] as readonly [number, number, number];
  return qBits + bucket[1] + bucket[2];
}

export function writeRational(w: BitWriter, s: RationalState, k: number, q: number): void {
  if (q === s.q) w.write(0, 1);
  else if (q < 256) {
    w.write(0b10, 2);
    w.write(q, 8);
  } else {
    w.write(0b11, 2);
    w.write(q, 16);
  }
  const z = zigzag(k - s.k);
  const [prefix, prefixBits, bits] = K_BUCKETS[kBucketIndex(z)] as readonly [number, number, number];
  w.write(prefix, prefixBits);
  if (bits > 32) {
    w.write(Math.floor(z / 2 ** 32), bits - 32);
    w.write(z % 2 ** 32, 32);
  } else {
    w.write(z, bits);
  }
  s.k = k;
  s.q = q;
}

export function readRational(r: BitReader, s: RationalState): number {
  if (r.readBit()) s.q = r.readBit() ? r.read(16) : r.read(8);
  if (s.q === 0) throw new RangeError("corrupt chunk: fraction with denominator 0");
  // The prefix is unary up to the last bucket (whose prefix is all ones).
  let index = 0;
  while (index < K_BUCKETS.length - 1 && r.readBit()) index++;
  const bits = (K_BUCKETS[index] as readonly [number, number, number])[2];
  const z = bits > 32 ? r.read(bits - 32) * 2 ** 32 + r.read(32) : r.read(bits);
  s.k += unzigzag(z);
  if (!(Math.abs(s.k) <= MAX_NUMERATOR)) throw new RangeError("corrupt chunk: fraction numerator out of range");
  return s.k / s.q;
}
