import { BitReader, BitWriter } from "./bit-stream";
import { findRational, newRationalState, rationalCost, readRational, writeRational } from "./rational-codec";
import type { RationalState } from "./rational-codec";

/**
 * Compressed chunk of (ts, value columns) rows, after Facebook's Gorilla paper (VLDB 2015) and
 * Prometheus' XOR chunks: delta-of-delta timestamps (a regular 1 s series costs one bit per ts) and
 * XOR-ed floats with leading/trailing zero windows (an unchanged value costs one bit). Raw chunks
 * have one value column; rollup chunks have five (min, max, sum, count, last).
 *
 * Layout: 7 header bytes [version, flags, columns, count u32 LE], then the bit stream. Flags bit 0
 * marks float timestamps: a chunk whose timestamps are not all safe integers (sub-millisecond JSON
 * ingest) XORs them like values instead of taking deltas, so every finite ts round-trips exactly.
 *
 * Version 2 (written since #11's bytes-per-point work; version 1 chunks are still read, and a head
 * restored from a version 1 row goes on in version 1) adds a third way to write a value: an exact
 * small fraction k / q (rational-codec.ts) when that is cheaper than its XOR. Value controls: `0`
 * unchanged, `10` XOR in the previous window, `110` XOR with a new window, `111` fraction (version 1:
 * `11` new window, no fractions).
 */
const VERSION = 2 as const;
const VERSIONS = new Set([1, 2]);
const HEADER_BYTES = 7;
const FLAG_FLOAT_TS = 1;
export const MAX_COLUMNS = 8;
/**
 * A column whose last value was not a fraction tries only its previous denominator, and searches
 * for another (continued fraction) only every FRACTION_RETRY-th row after the chunk's first rows:
 * what it writes is readable either way, a value not found goes as XOR.
 */
const FRACTION_RETRY = 16;

// Shared scratch to see a float64's bits as two uint32 words (x86 and ARM are little-endian:
// word 0 is the low half).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

interface XorState {
  hi: number;
  lo: number;
  leading: number;
  trailing: number;
}

const newXorState = (): XorState => ({ hi: 0, lo: 0, leading: -1, trailing: 0 });

function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

function mask(bits: number, n: number): number {
  return n >= 32 ? bits >>> 0 : (bits & ((1 << n) - 1)) >>> 0;
}

/** Writes the bits [trailing, 64 - leading) of the 64-bit word (hi, lo), high part first. */
function writeWindow(w: BitWriter, hi: number, lo: number, leading: number, trailing: number): void {
  const top = 64 - leading;
  if (top > 32) {
    const from = trailing > 32 ? trailing : 32;
    w.write(mask(hi >>> (from - 32), top - from), top - from);
  }
  if (trailing < 32) {
    const end = top < 32 ? top : 32;
    w.write(mask(lo >>> trailing, end - trailing), end - trailing);
  }
}

/**
 * Reads the bits [trailing, 64 - leading) of a 64-bit word and XORs them into `s` (hi, lo): no
 * [hi, lo] pair allocated per value (a 30-day query decodes 720 000 values).
 */
function xorWindow(r: BitReader, s: XorState): void {
  const leading = s.leading;
  const trailing = s.trailing;
  const top = 64 - leading;
  if (top > 32) {
    const from = trailing > 32 ? trailing : 32;
    s.hi = (s.hi ^ (r.read(top - from) << (from - 32))) >>> 0;
  }
  if (trailing < 32) {
    const end = top < 32 ? top : 32;
    s.lo = (s.lo ^ (r.read(end - trailing) << trailing)) >>> 0;
  }
}

/**
 * Writes one value: XOR with the previous one (Gorilla), or, with `rs` (version 2), the exact
 * fraction k / q when that takes fewer bits. The XOR state follows every value either way.
 * `search` false tries only the previous denominator, not the continued fraction (see FRACTION_RETRY).
 */
function writeXor(w: BitWriter, s: XorState, value: number, first: boolean, rs: RationalState | null = null, search = true): void {
  f64[0] = value;
  const hi = u32[1] as number;
  const lo = u32[0] as number;
  if (first) {
    w.write(hi, 32);
    w.write(lo, 32);
  } else {
    const xh = (hi ^ s.hi) >>> 0;
    const xl = (lo ^ s.lo) >>> 0;
    if (xh === 0 && xl === 0) {
      w.write(0, 1);
    } else {
      let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
      const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
      // 5 bits store the leading count; more than 31 is written as 31 (a few wasted bits).
      if (leading > 31) leading = 31;
      const reuse = s.leading >= 0 && leading >= s.leading && trailing >= s.trailing;
      if (rs !== null) {
        const xorBits = reuse ? 2 + 64 - s.leading - s.trailing : 3 + 11 + 64 - leading - trailing;
        const fraction = findRational(value, rs.q, search);
        if (fraction !== null && 3 + rationalCost(rs, fraction[0], fraction[1]) < xorBits) {
          w.write(0b111, 3);
          writeRational(w, rs, fraction[0], fraction[1]);
          s.hi = hi;
          s.lo = lo;
          return;
        }
      }
      if (reuse) {
        // Fits the previous window: control '10' and only the window's bits.
        w.write(0b10, 2);
        writeWindow(w, xh, xl, s.leading, s.trailing);
      } else {
        const significant = 64 - leading - trailing;
        // Control ('110', version 1 '11'), 5 bits of leading count and 6 of significant bits in one
        // write; 64 significant bits do not fit 6 bits, and 0 never occurs otherwise, so it stands for 64.
        const sizes = leading * 64 + (significant === 64 ? 0 : significant);
        if (rs !== null) w.write(0b110 * 2048 + sizes, 14);
        else w.write(0b11 * 2048 + sizes, 13);
        writeWindow(w, xh, xl, leading, trailing);
        s.leading = leading;
        s.trailing = trailing;
      }
    }
  }
  s.hi = hi;
  s.lo = lo;
}

function readXor(r: BitReader, s: XorState, first: boolean, rs: RationalState | null = null): number {
  if (first) {
    s.hi = r.read(32);
    s.lo = r.read(32);
  } else if (r.readBit()) {
    if (r.readBit()) {
      if (rs !== null && r.readBit()) {
        const value = readRational(r, rs);
        f64[0] = value;
        s.hi = u32[1] as number;
        s.lo = u32[0] as number;
        return value;
      }
      s.leading = r.read(5);
      const significant = r.read(6) || 64;
      s.trailing = 64 - s.leading - significant;
      if (s.trailing < 0) throw new RangeError("corrupt chunk: XOR window wider than 64 bits");
    } else if (s.leading < 0) {
      throw new RangeError("corrupt chunk: XOR window reused before one was set");
    }
    xorWindow(r, s);
  }
  u32[1] = s.hi;
  u32[0] = s.lo;
  return f64[0] as number;
}

// Delta-of-delta buckets (control prefix / payload bits, two's complement payloads): 0 -> '0';
// '10' + 14 bits; '110' + 17 bits; '1110' + 20 bits; '1111' + the float64 of the delta-of-delta.
function writeDod(w: BitWriter, dod: number): void {
  if (dod === 0) {
    w.write(0, 1);
    return;
  }
  // Unrolled, prefix and payload in one write (one call per point of every raw chunk): `bits` of
  // payload hold [-2^(bits-1), 2^(bits-1)).
  if (dod >= -8192 && dod < 8192) {
    w.write(0b10 * 16_384 + mask(dod, 14), 16);
  } else if (dod >= -65_536 && dod < 65_536) {
    w.write(0b110 * 131_072 + mask(dod, 17), 20);
  } else if (dod >= -524_288 && dod < 524_288) {
    w.write(0b1110 * 1_048_576 + mask(dod, 20), 24);
  } else {
    // Anything larger: '1111' and the delta-of-delta as a float64 (exact for safe integers).
    w.write(0b1111, 4);
    f64[0] = dod;
    w.write(u32[1] as number, 32);
    w.write(u32[0] as number, 32);
  }
}

function readDod(r: BitReader): number {
  if (!r.readBit()) return 0;
  let bits = 14;
  if (r.readBit()) {
    bits = 17;
    if (r.readBit()) {
      bits = 20;
      if (r.readBit()) {
        u32[1] = r.read(32);
        u32[0] = r.read(32);
        return f64[0] as number;
      }
    }
  }
  const raw = r.read(bits);
  return raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw;
}

/** Appends rows in non-decreasing ts order and serializes them at any time (the head chunk). */
export class ChunkEncoder {
  private w = new BitWriter();
  private states: XorState[];
  /** Version 2: one fraction state per column; null when continuing a version 1 chunk. */
  private fractions: RationalState[] | null;
  private version: number;
  private tsState = newXorState();
  private n = 0;
  private first = 0;
  private last = 0;
  private prevDelta = 0;

  constructor(
    readonly columns: number,
    /** XOR timestamps instead of delta-of-delta (set for chunks with non-integer ts). */
    readonly floatTs = false,
    /** Format version written; 1 only to continue (or, in tests, to make) a chunk without fractions. @default 2 */
    formatVersion: 1 | 2 = VERSION,
  ) {
    if (!Number.isInteger(columns) || columns < 1 || columns > MAX_COLUMNS) throw new RangeError(`columns must be 1..${MAX_COLUMNS}`);
    this.states = Array.from({ length: columns }, newXorState);
    this.version = formatVersion;
    this.fractions = formatVersion >= 2 ? Array.from({ length: columns }, newRationalState) : null;
  }

  get count(): number {
    return this.n;
  }
  get firstTs(): number {
    return this.first;
  }
  get lastTs(): number {
    return this.last;
  }
  /**
   * An encoder that goes on where `data` (ChunkEncoder.bytes()) stopped: a head chunk restored at
   * start. The stream is walked once for its final XOR and delta states, without keeping the rows:
   * before, each head was decoded into arrays and every row appended again, half of a start's time on
   * 1000 series (and most of its garbage). Throws RangeError on a corrupt or truncated chunk.
   */
  static resume(data: Uint8Array): ChunkEncoder {
    const walked = walkChunk(data, false);
    const enc = new ChunkEncoder(walked.columns.length, walked.floatTs);
    enc.states = walked.states;
    enc.fractions = walked.fractions;
    enc.version = walked.version;
    enc.tsState = walked.tsState;
    enc.n = walked.count;
    enc.first = walked.first;
    enc.last = walked.last;
    enc.prevDelta = walked.prevDelta;
    enc.w = BitWriter.from(data.subarray(HEADER_BYTES), walked.bits);
    return enc;
  }

  /** Bytes the chunk takes serialized. */
  get byteLength(): number {
    return HEADER_BYTES + ((this.w.length + 7) >>> 3);
  }

  /** True when `ts` can follow in this chunk: not older than the last row, and an integer unless floatTs. */
  accepts(ts: number): boolean {
    if (this.n > 0 && ts < this.last) return false;
    return this.floatTs || Number.isSafeInteger(ts);
  }

  append(ts: number, values: ArrayLike<number>): void {
    if (!this.accepts(ts)) throw new RangeError(`ts ${ts} cannot follow ${this.last} in this chunk`);
    if (this.floatTs) {
      writeXor(this.w, this.tsState, ts, this.n === 0);
    } else if (this.n === 0) {
      f64[0] = ts;
      this.w.write(u32[1] as number, 32);
      this.w.write(u32[0] as number, 32);
    } else {
      const delta = ts - this.last;
      writeDod(this.w, delta - this.prevDelta);
      this.prevDelta = delta;
    }
    const fractions = this.fractions;
    const n = this.n;
    for (let c = 0; c < this.columns; c++) {
      const state = this.states[c] as XorState;
      if (fractions === null) {
        writeXor(this.w, state, values[c] as number, n === 0);
        continue;
      }
      const rs = fractions[c] as RationalState;
      // A new denominator is searched for in the first FRACTION_RETRY rows, every FRACTION_RETRY-th
      // row, and after a value that was its column's last fraction (k / q is the previous value): a
      // column of noise (a sine, a jittery float) skips the search (a continued fraction of up to 24
      // steps, more than the rest of the row) 15 rows in 16. Decided from the stream's state and the
      // value only, so an encoder resumed from a head's bytes decides the same as the one that wrote them.
      let search = n < FRACTION_RETRY || n % FRACTION_RETRY === 0;
      if (!search) {
        f64[0] = rs.k / rs.q;
        search = u32[1] === state.hi && u32[0] === state.lo;
      }
      writeXor(this.w, state, values[c] as number, n === 0, rs, search);
    }
    if (this.n === 0) this.first = ts;
    this.last = ts;
    this.n++;
  }

  bytes(): Uint8Array {
    const body = this.w.bytes();
    const out = new Uint8Array(HEADER_BYTES + body.length);
    out[0] = this.version;
    out[1] = this.floatTs ? FLAG_FLOAT_TS : 0;
    out[2] = this.columns;
    new DataView(out.buffer).setUint32(3, this.n, true);
    out.set(body, HEADER_BYTES);
    return out;
  }
}

export interface DecodedChunk {
  /** The chunk was written with float (XOR) timestamps. */
  readonly floatTs: boolean;
  readonly ts: Float64Array;
  /** One array per column, each `ts.length` long. */
  readonly columns: Float64Array[];
}

/** Decodes a chunk written by ChunkEncoder.bytes(); throws RangeError on a corrupt or truncated one. */
export function decodeChunk(data: Uint8Array): DecodedChunk {
  const { floatTs, ts, columns } = walkChunk(data, true);
  return { floatTs, ts, columns };
}

interface Walked {
  version: number;
  floatTs: boolean;
  count: number;
  /** The rows when kept, else empty arrays. */
  ts: Float64Array;
  columns: Float64Array[];
  states: XorState[];
  fractions: RationalState[] | null;
  tsState: XorState;
  first: number;
  last: number;
  prevDelta: number;
  /** Bits of the stream after the header. */
  bits: number;
}

const EMPTY = new Float64Array(0);

/** Reads a chunk's stream, keeping its rows or only its final states (ChunkEncoder.resume). */
function walkChunk(data: Uint8Array, keep: boolean): Walked {
  if (data.length < HEADER_BYTES) throw new RangeError("corrupt chunk: shorter than its header");
  const version = data[0] as number;
  if (!VERSIONS.has(version)) throw new RangeError(`corrupt chunk: unknown format version ${version}`);
  const floatTs = ((data[1] as number) & FLAG_FLOAT_TS) !== 0;
  const columnCount = data[2] as number;
  if (columnCount < 1 || columnCount > MAX_COLUMNS) throw new RangeError(`corrupt chunk: ${columnCount} columns`);
  const count = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(3, true);
  // Each row takes at least one bit per column plus one for ts: a count beyond that is corrupt,
  // and checking it first keeps a bad header from allocating gigabytes.
  if (count * (columnCount + 1) > (data.length - HEADER_BYTES) * 8 + 64 * (columnCount + 1)) throw new RangeError("corrupt chunk: count exceeds data");
  const r = new BitReader(data, HEADER_BYTES * 8);
  const ts = keep ? new Float64Array(count) : EMPTY;
  const columns = Array.from({ length: columnCount }, () => (keep ? new Float64Array(count) : EMPTY));
  const states = Array.from({ length: columnCount }, newXorState);
  const fractions = version >= 2 ? Array.from({ length: columnCount }, newRationalState) : null;
  const tsState = newXorState();
  let first = 0;
  let last = 0;
  let prevDelta = 0;
  for (let i = 0; i < count; i++) {
    if (floatTs) {
      last = readXor(r, tsState, i === 0);
    } else if (i === 0) {
      u32[1] = r.read(32);
      u32[0] = r.read(32);
      last = f64[0] as number;
    } else {
      prevDelta += readDod(r);
      last += prevDelta;
    }
    if (i === 0) first = last;
    if (keep) ts[i] = last;
    for (let c = 0; c < columnCount; c++) {
      const value = readXor(r, states[c] as XorState, i === 0, fractions === null ? null : (fractions[c]));
      if (keep) (columns[c] as Float64Array)[i] = value;
    }
  }
  return { version, floatTs, count, ts, columns, states, fractions, tsState, first, last, prevDelta, bits: r.position - HEADER_BYTES * 8 };
}
