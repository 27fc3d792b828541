import { MalformedProtobuf, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, readUint64, skip, subEnd } from "../protobuf-wire";
import type { OtlpExponentialBuckets, OtlpExponentialHistogramPoint, OtlpHistogramPoint, OtlpKeyValue, OtlpNumberPoint, OtlpSummaryPoint } from "./model";
import { attributesIn, checkKeyValue } from "./reader-attributes";
import { PointBudget } from "./point-budget";
import { MAX_RAW_ATTRIBUTES } from "./raw-tail-cache";
import { double, fixed64, message, repeated, sfixed64, wireIs, type Reader } from "./reader-wire";

/** Base of every data point: attributes decoded lazily, by the bytes they came in. */
export abstract class ProtoPoint {
  startTimeUnixNano = 0;
  timeUnixNano = 0;
  flags = 0;
  /** The attributes' bytes (the label-tail cache's key), rawBuf[rawStart, rawEnd); no rawBuf when not one short run. */
  rawBuf: Uint8Array | undefined = undefined;
  rawStart = 0;
  rawEnd = 0;
  private decoded: OtlpKeyValue[] | undefined = undefined;
  private buf: Uint8Array | null = null;
  private bodyStart = 0;
  private bodyEnd = 0;
  private field = 0;

  /**
   * Called once the point's fields are read: its attributes are the `field` fields of its body; those
   * between runStart and runEnd when they were one run (-1: none).
   */
  attach(buf: Uint8Array, bodyStart: number, bodyEnd: number, field: number, runStart: number, runEnd: number, oneRun: boolean): void {
    if (runStart === -1) {
      this.decoded = [];
      this.rawBuf = buf;
      return;
    }
    this.buf = buf;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.field = field;
    if (oneRun && runEnd - runStart <= MAX_RAW_ATTRIBUTES) {
      this.rawBuf = buf;
      this.rawStart = runStart;
      this.rawEnd = runEnd;
    }
  }

  get attributes(): OtlpKeyValue[] {
    if (this.decoded === undefined) {
      this.decoded = attributesIn(this.buf!, this.bodyStart, this.bodyEnd, this.field);
      this.buf = null;
    }
    return this.decoded;
  }

  /** Back to a point with no field read, to read the next one into (NumberPointList's cursor). */
  reset(): this {
    this.startTimeUnixNano = 0;
    this.timeUnixNano = 0;
    this.flags = 0;
    this.rawBuf = undefined;
    this.rawStart = 0;
    this.rawEnd = 0;
    this.decoded = undefined;
    this.buf = null;
    return this;
  }
}

class NumberPoint extends ProtoPoint implements OtlpNumberPoint {
  asDouble: number | null = null;
  asInt: number | null = null;

  override reset(): this {
    this.asDouble = null;
    this.asInt = null;
    return super.reset();
  }
}

class HistogramPoint extends ProtoPoint implements OtlpHistogramPoint {
  count = 0;
  sum: number | null = null;
  bucketCounts: number[] = [];
  explicitBounds: number[] = [];
  min: number | null = null;
  max: number | null = null;
}

class ExponentialPoint extends ProtoPoint implements OtlpExponentialHistogramPoint {
  count = 0;
  sum: number | null = null;
  scale = 0;
  zeroCount = 0;
  zeroThreshold = 0;
  positive: OtlpExponentialBuckets | null = null;
  negative: OtlpExponentialBuckets | null = null;
  min: number | null = null;
  max: number | null = null;
}

class SummaryPoint extends ProtoPoint implements OtlpSummaryPoint {
  count = 0;
  sum = 0;
  quantileValues: { quantile: number; value: number }[] = [];
}

/** Field numbers of a point kind: attributes, start and time, flags (the rest in `rest`). */
export interface PointLayout<P extends ProtoPoint> {
  readonly make: () => P;
  readonly attributes: number;
  readonly flags: number;
  /** Plain 8-byte fields: field number -> [the property, fixed64 or double]. */
  readonly scalars?: Readonly<Record<number, readonly [keyof P & string, "fixed64" | "double"]>>;
  /** The other fields; false: not one of them (skipped). `budget` counts what becomes points of its own. */
  readonly rest: (p: P, r: Reader, tag: number, end: number, budget: PointBudget) => boolean;
}

/** count (4), sum (5): the same in every histogram-like point. */
const COUNT_SUM = { 4: ["count", "fixed64"], 5: ["sum", "double"] } as const;

/** Reads the data point that ends at `end` into `point` (a new one by default). */
export function dataPoint<P extends ProtoPoint>(r: Reader, end: number, layout: PointLayout<P>, budget: PointBudget, point: P = layout.make()): P {
  const bodyStart = r.pos;
  // Where the attributes are, and whether they came in one run (as every SDK writes them).
  let runStart = -1;
  let runEnd = -1;
  let oneRun = true;
  let otherSinceRun = false;
  while (r.pos < end) {
    const tagPos = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === layout.attributes) {
      wireIs(tag, WIRE_LEN);
      const itemEnd = subEnd(r, end);
      checkKeyValue(r, itemEnd, 0);
      if (runStart === -1) runStart = tagPos;
      else if (otherSinceRun) oneRun = false;
      runEnd = itemEnd;
      otherSinceRun = false;
      continue;
    }
    if (runStart !== -1) otherSinceRun = true;
    if (field === 2) {
      wireIs(tag, WIRE_FIXED64);
      point.startTimeUnixNano = fixed64(r);
    } else if (field === 3) {
      wireIs(tag, WIRE_FIXED64);
      point.timeUnixNano = fixed64(r);
    } else if (field === layout.flags) {
      wireIs(tag, WIRE_VARINT);
      point.flags = r.uint32();
    } else {
      const scalar = layout.scalars?.[field];
      if (scalar !== undefined) {
        wireIs(tag, WIRE_FIXED64);
        (point as Record<string, unknown>)[scalar[0]] = scalar[1] === "fixed64" ? fixed64(r) : double(r);
      } else if (!layout.rest(point, r, tag, end, budget)) skip(r, tag, end);
    }
  }
  if (r.pos !== end) throw new MalformedProtobuf("a data point runs past its end");
  point.attach(r.buf, bodyStart, end, layout.attributes, runStart, runEnd, oneRun);
  return point;
}

export const NUMBER: PointLayout<NumberPoint> = {
  make: () => new NumberPoint(),
  attributes: 7,
  flags: 8,
  rest(p, r, tag) {
    const field = tag >>> 3;
    // as_double and as_int are a oneof: the last on the wire wins.
    if (field === 4) {
      wireIs(tag, WIRE_FIXED64);
      p.asDouble = double(r);
      p.asInt = null;
      return true;
    }
    if (field === 6) {
      wireIs(tag, WIRE_FIXED64);
      p.asInt = sfixed64(r);
      p.asDouble = null;
      return true;
    }
    return false;
  },
};

/** Nothing a number point reads counts against the budget (its data point was counted when noted). */
const NO_BUDGET = new PointBudget(Infinity);

/**
 * The NumberDataPoints of a gauge or sum (the bulk of every request), read when the mapping asks for
 * one: the decoder only notes where each is, after counting it against the limit, and at(i) reads point
 * i into one cursor, the same object every call (valid until the next). So no object is made per data
 * point and each is read once. A malformed point is found when it is read, during the mapping (the
 * receiver answers it 400 like any undecodable body: see decodingLazily).
 */
export class NumberPointList {
  /** start, end of each point's body in the reader's buffer. */
  private readonly bounds: number[] = [];
  private readonly cursor = new NumberPoint();

  constructor(private readonly r: Reader) {}

  /** Notes the point whose body is [start, end). */
  add(start: number, end: number): void {
    this.bounds.push(start, end);
  }

  get length(): number {
    return this.bounds.length >> 1;
  }

  at(index: number): OtlpNumberPoint | undefined {
    if (!(index >= 0 && index < this.length)) return undefined;
    const { r } = this;
    r.pos = this.bounds[2 * index]!;
    return dataPoint(r, this.bounds[2 * index + 1]!, NUMBER, NO_BUDGET, this.cursor.reset());
  }
}

export const HISTOGRAM: PointLayout<HistogramPoint> = {
  make: () => new HistogramPoint(),
  attributes: 9,
  flags: 10,
  scalars: { ...COUNT_SUM, 11: ["min", "double"], 12: ["max", "double"] },
  rest(p, r, tag, end) {
    if (tag >>> 3 === 6) repeated(r, tag, end, WIRE_FIXED64, fixed64, p.bucketCounts);
    else if (tag >>> 3 === 7) repeated(r, tag, end, WIRE_FIXED64, double, p.explicitBounds);
    else return false;
    return true;
  },
};

function buckets(r: Reader, end: number): OtlpExponentialBuckets {
  const out = { offset: 0, bucketCounts: [] as number[] };
  message(r, end, (tag, stop) => {
    if (tag >>> 3 === 1) {
      wireIs(tag, WIRE_VARINT);
      out.offset = r.sint32();
      return true;
    }
    if (tag >>> 3 === 2) {
      // uint64 in the proto: read as signed, a count of 2^63 or more came out negative.
      repeated(r, tag, stop, WIRE_VARINT, readUint64, out.bucketCounts);
      return true;
    }
    return false;
  });
  return out;
}

export const EXPONENTIAL: PointLayout<ExponentialPoint> = {
  make: () => new ExponentialPoint(),
  attributes: 1,
  flags: 10,
  scalars: { ...COUNT_SUM, 7: ["zeroCount", "fixed64"], 12: ["min", "double"], 13: ["max", "double"], 14: ["zeroThreshold", "double"] },
  rest(p, r, tag, end) {
    const field = tag >>> 3;
    if (field === 6) {
      wireIs(tag, WIRE_VARINT);
      p.scale = r.sint32();
    } else if (field === 8 || field === 9) {
      wireIs(tag, WIRE_LEN);
      const side = buckets(r, subEnd(r, end));
      if (field === 8) p.positive = side;
      else p.negative = side;
    } else return false;
    return true;
  },
};

export const SUMMARY: PointLayout<SummaryPoint> = {
  make: () => new SummaryPoint(),
  attributes: 7,
  flags: 8,
  scalars: COUNT_SUM,
  rest(p, r, tag, end, budget) {
    if (tag >>> 3 !== 6) return false;
    wireIs(tag, WIRE_LEN);
    // Each quantile value becomes a point.
    budget.take();
    const q = { quantile: 0, value: 0 };
    message(r, subEnd(r, end), (inner) => {
      if (inner >>> 3 !== 1 && inner >>> 3 !== 2) return false;
      wireIs(inner, WIRE_FIXED64);
      if (inner >>> 3 === 1) q.quantile = double(r);
      else q.value = double(r);
      return true;
    });
    p.quantileValues.push(q);
    return true;
  },
};
