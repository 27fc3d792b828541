import type { Point } from "@livedash/events";

/** One batch as the replay log keeps it. */
export interface LoggedBatch {
  readonly seq: number;
  readonly points: readonly Point[];
}

const BYTES_PER_POINT = 20; // u32 series id, f64 ts, f64 value

/**
 * Packs a batch's points with series ids (20 bytes a point, no JSON on the once-a-second flush): the
 * same records as the point log's (point-log.ts), so the disk store copies a batch's point log bytes
 * when it has them and calls this only when it has not.
 */
export function encodeBatch(points: readonly Point[], idOf: (series: string) => number): Buffer {
  const buf = Buffer.allocUnsafe(points.length * BYTES_PER_POINT);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  for (const point of points) {
    view.setUint32(at, idOf(point.series), true);
    view.setFloat64(at + 4, point.ts, true);
    view.setFloat64(at + 12, point.value, true);
    at += BYTES_PER_POINT;
  }
  return buf;
}

export function decodeBatch(buf: Uint8Array, nameOf: (id: number) => string | undefined): Point[] {
  if (buf.length % BYTES_PER_POINT !== 0) throw new RangeError("corrupt replay log row: length is not a multiple of 20");
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const points: Point[] = [];
  for (let at = 0; at < view.length; at += BYTES_PER_POINT) {
    const series = nameOf(view.readUInt32LE(at));
    if (series === undefined) throw new RangeError("corrupt replay log row: unknown series id");
    points.push({ series, ts: view.readDoubleLE(at + 4), value: view.readDoubleLE(at + 12) });
  }
  return points;
}

/**
 * Which logged batches to keep: the same bounds as the memory engine's replay window (batch count and
 * point count), so the log never holds what the engine would not replay anyway.
 */
export class ReplayWindow {
  private readonly seqs: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private points = 0;

  constructor(
    private readonly maxBatches: number,
    private readonly maxPoints: number,
  ) {}

  add(seq: number, size: number): void {
    this.seqs.push(seq);
    this.sizes.push(size);
    this.points += size;
    while (this.seqs.length - this.head > 1 && (this.seqs.length - this.head > this.maxBatches || this.points > this.maxPoints)) {
      this.points -= this.sizes[this.head] as number;
      this.head++;
    }
    // Compact now and then so the arrays do not grow forever.
    if (this.head > 4096 && this.head * 2 > this.seqs.length) {
      this.seqs.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Oldest seq still kept, or null when empty. */
  oldest(): number | null {
    return this.head < this.seqs.length ? (this.seqs[this.head] as number) : null;
  }
}
