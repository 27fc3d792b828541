/**
 * Bit-level writer and reader for the chunk codec (most significant bit first, as in the Gorilla
 * paper and Prometheus' bstream). Values are written at most 32 bits at a time; 64-bit words are
 * split into their high and low halves by the caller, so no BigInt is needed on the hot path.
 */
export class BitWriter {
  private buf: Uint8Array;
  private bitLength = 0;

  constructor(initialBytes = 64) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** A writer that goes on after the first `bits` bits of `bytes` (copied; bits past them cleared). */
  static from(bytes: Uint8Array, bits: number): BitWriter {
    // Room for a few more rows only: most restored heads are near full or idle, and 10 000 series x 3
    // tiers of doubled buffers cost tens of MiB at start (the writer still doubles when it must).
    const w = new BitWriter(bytes.length + 64);
    const whole = bits >>> 3;
    w.buf.set(bytes.subarray(0, whole));
    const rest = bits & 7;
    if (rest > 0) w.buf[whole] = (bytes[whole] as number) & (0xff << (8 - rest));
    w.bitLength = bits;
    return w;
  }

  /** Bits written so far. */
  get length(): number {
    return this.bitLength;
  }

  /** Writes the low `n` bits of `value` (0 <= n <= 32), most significant first. */
  write(value: number, n: number): void {
    if (n === 0) return;
    const start = this.bitLength;
    const end = start + n;
    if ((end + 7) >>> 3 > this.buf.length) this.ensure(end);
    const buf = this.buf;
    let at = start >>> 3;
    const free = 8 - (start & 7);
    // Bytes past bitLength are zero (new buffers, and from() clears the bits after its end): the
    // first byte is OR-ed in, the following ones are set whole. One write per value, not per byte.
    if (n <= free) {
      buf[at] = (buf[at] as number) | ((value & ((1 << n) - 1)) << (free - n));
      this.bitLength = end;
      return;
    }
    let remaining = n - free;
    buf[at] = (buf[at] as number) | ((value >>> remaining) & ((1 << free) - 1));
    at++;
    while (remaining >= 8) {
      remaining -= 8;
      buf[at++] = (value >>> remaining) & 0xff;
    }
    if (remaining > 0) buf[at] = (value << (8 - remaining)) & 0xff;
    this.bitLength = end;
  }

  writeBit(bit: boolean): void {
    this.write(bit ? 1 : 0, 1);
  }

  /** The bytes written so far (the last byte zero-padded); a copy, safe to keep. */
  bytes(): Uint8Array {
    return this.buf.slice(0, (this.bitLength + 7) >>> 3);
  }

  private ensure(bits: number): void {
    const bytes = (bits + 7) >>> 3;
    if (bytes <= this.buf.length) return;
    const next = new Uint8Array(Math.max(bytes, this.buf.length * 2));
    next.set(this.buf);
    this.buf = next;
  }
}

export class BitReader {
  private pos = 0;
  /** Bits in the buffer: a read past them is a truncated chunk. */
  private readonly bitLength: number;
  /** Reads starting below this byte have the 5 bytes the fast path loads (no out-of-bounds index). */
  private readonly fastEnd: number;

  constructor(
    private readonly buf: Uint8Array,
    /** Bit offset where the stream starts (after a byte header). */
    startBit = 0,
  ) {
    this.pos = startBit;
    this.bitLength = buf.length * 8;
    this.fastEnd = buf.length - 4;
  }

  /** Reads `n` bits (0 <= n <= 32) as an unsigned number. Throws past the end: a truncated chunk. */
  read(n: number): number {
    if (n === 0) return 0;
    const pos = this.pos;
    if (pos + n > this.bitLength) throw new RangeError("chunk data ends early (truncated or corrupt chunk)");
    const byte = pos >>> 3;
    this.pos = pos + n;
    if (byte < this.fastEnd) {
      // Decoding is most of a cold history query: load the 32 bits at the byte (and the 5th when
      // the n bits straddle it) and shift, instead of a loop per byte (2-3x fewer operations per value).
      const buf = this.buf;
      const offset = pos & 7;
      let word = ((buf[byte] as number) << 24) | ((buf[byte + 1] as number) << 16) | ((buf[byte + 2] as number) << 8) | (buf[byte + 3] as number);
      word <<= offset;
      if (offset + n > 32) word |= (buf[byte + 4] as number) >>> (8 - offset);
      return word >>> (32 - n);
    }
    let out = 0;
    let at = pos;
    let remaining = n;
    while (remaining > 0) {
      const value = this.buf[at >>> 3] as number;
      const offset = at & 7;
      const avail = 8 - offset;
      const take = remaining < avail ? remaining : avail;
      const bits = (value >>> (avail - take)) & ((1 << take) - 1);
      // Multiplication instead of << keeps 32-bit results unsigned.
      out = out * (1 << take) + bits;
      at += take;
      remaining -= take;
    }
    return out;
  }

  readBit(): boolean {
    const pos = this.pos;
    if (pos >= this.bitLength) throw new RangeError("chunk data ends early (truncated or corrupt chunk)");
    this.pos = pos + 1;
    return (((this.buf[pos >>> 3] as number) >>> (7 - (pos & 7))) & 1) === 1;
  }

  /** Bit offset of the next read. */
  get position(): number {
    return this.pos;
  }
}
