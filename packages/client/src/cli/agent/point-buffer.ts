import type { Point } from "@livedash/events";

/**
 * The agent's outbox: points in collection order, oldest first, at most `maxPoints` of them. When a
 * tick would pass the bound the OLDEST points go (the newest say most about the host now) and are
 * counted, so the log can say how many were lost. Ticks are kept as the arrays the collectors made
 * (their series strings are shared between ticks), so a point costs an object, not a copy of its key.
 */
export interface PointBuffer {
  /** Points waiting (not counting a batch taken for sending). */
  readonly size: number;
  /** Points dropped since start because the buffer was full. */
  readonly dropped: number;
  /** Appends one tick; returns how many of the oldest points this dropped. */
  push(points: readonly Point[]): number;
  /** Removes and returns up to `max` of the oldest points (a batch to send). */
  take(max: number): Point[];
  /**
   * Puts a batch that could not be sent back at the front, ahead of newer points, so order holds.
   * Returns how many points the bound then dropped (the oldest first: possibly some of these).
   */
  putBack(points: readonly Point[]): number;
}

export function createPointBuffer(maxPoints: number): PointBuffer {
  if (!Number.isSafeInteger(maxPoints) || maxPoints < 1) throw new RangeError(`maxPoints must be a positive integer (got ${maxPoints})`);
  // chunks[head] is the oldest tick; offset is how much of it was already taken or dropped.
  let chunks: (readonly Point[])[] = [];
  let head = 0;
  let offset = 0;
  let size = 0;
  let dropped = 0;

  const compact = (): void => {
    // Drop consumed chunk slots now and then, so the array does not grow with every tick ever seen.
    if (head > 1024 && head * 2 > chunks.length) {
      chunks = chunks.slice(head);
      head = 0;
    }
  };
  const dropOldest = (count: number): void => {
    let left = count;
    while (left > 0) {
      const chunk = chunks[head] as readonly Point[];
      const here = Math.min(left, chunk.length - offset);
      offset += here;
      left -= here;
      if (offset === chunk.length) {
        head++;
        offset = 0;
      }
    }
    size -= count;
    dropped += count;
    compact();
  };
  const enforceBound = (): number => {
    const over = size - maxPoints;
    if (over <= 0) return 0;
    dropOldest(over);
    return over;
  };

  return {
    get size() {
      return size;
    },
    get dropped() {
      return dropped;
    },
    push(points) {
      if (points.length === 0) return 0;
      chunks.push(points);
      size += points.length;
      return enforceBound();
    },
    take(max) {
      const out: Point[] = [];
      while (out.length < max && head < chunks.length) {
        const chunk = chunks[head] as readonly Point[];
        const end = Math.min(chunk.length, offset + (max - out.length));
        for (let i = offset; i < end; i++) out.push(chunk[i] as Point);
        offset = end;
        if (offset === chunk.length) {
          head++;
          offset = 0;
        }
      }
      size -= out.length;
      compact();
      return out;
    },
    putBack(points) {
      if (points.length === 0) return 0;
      // The rest of a partly taken head chunk stays where it is: the batch goes in front of it.
      if (offset > 0) {
        chunks[head] = (chunks[head] as readonly Point[]).slice(offset);
        offset = 0;
      }
      if (head > 0) chunks[--head] = points;
      else chunks.unshift(points);
      size += points.length;
      return enforceBound();
    },
  };
}
