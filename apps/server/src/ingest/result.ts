import type { Point, SeriesMeta } from "@livedash/events";

/** At most this many errors are reported for one request: enough to fix a batch, small enough to send back. */
export const MAX_REPORTED_ERRORS = 20;

/** A bad line of an Influx line-protocol body. `message` already starts with `line <n>: `. */
export interface LineError {
  /** 1-based line number where the bad line starts. */
  readonly line: number;
  readonly message: string;
}

/** A bad field of a JSON body (or tRPC input). `message` already starts with `<path>: `. */
export interface PathError {
  /** JSON path such as `points[3].value`, or `body` for the whole request. */
  readonly path: string;
  readonly message: string;
}

/**
 * What every ingest parser answers. A batch is atomic: one bad entry and no point is accepted,
 * so a producer never has to guess which half of its request landed.
 */
export type IngestParseResult<E extends { readonly message: string }> =
  | {
      readonly ok: true;
      readonly points: Point[];
      readonly meta?: SeriesMeta[];
      /** true when the parser stopped early (stopAfterPoints): the body holds more points than `points`. */
      readonly more?: boolean;
    }
  | {
      readonly ok: false;
      /** At most MAX_REPORTED_ERRORS entries. */
      readonly errors: E[];
      /** true when more errors existed than were reported. */
      readonly truncated: boolean;
    };

/** Collects errors up to the cap and remembers whether some were dropped. */
export class ErrorList<E extends { readonly message: string }> {
  readonly items: E[] = [];
  truncated = false;

  constructor(private readonly cap: number = MAX_REPORTED_ERRORS) {}

  push(error: E): void {
    if (this.items.length < this.cap) this.items.push(error);
    else this.truncated = true;
  }

  get full(): boolean {
    return this.items.length >= this.cap;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}

/**
 * One-line summary for the top-level `error.message` of an HTTP answer, e.g.
 * `3 invalid lines; first: line 2: field 'x' value 'abc' is not a number`.
 */
export function summarizeErrors(errors: readonly { readonly message: string }[], truncated: boolean, noun: string): string {
  const first = errors[0];
  if (!first) return `invalid ${noun}`;
  if (errors.length === 1 && !truncated) return first.message;
  const count = truncated ? `more than ${errors.length}` : String(errors.length);
  return `${count} invalid ${noun}s; first: ${first.message}`;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** `10 days`, `3 hours`, `2 minutes`, `45 seconds`, `200 ms`: for how far off a value is. */
export function formatDurationLong(ms: number): string {
  const units: [number, string][] = [[DAY_MS, "day"], [HOUR_MS, "hour"], [MINUTE_MS, "minute"], [SECOND_MS, "second"]];
  for (const [size, name] of units) {
    if (ms >= size) {
      const n = Math.floor(ms / size);
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${Math.max(0, Math.round(ms))} ms`;
}

/** `5m`, `90s`, `1h`, `250ms`: for a configured limit, the way people write them. */
export function formatDurationShort(ms: number): string {
  const units: [number, string][] = [[DAY_MS, "d"], [HOUR_MS, "h"], [MINUTE_MS, "m"], [SECOND_MS, "s"]];
  for (const [size, suffix] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${suffix}`;
  }
  return `${ms}ms`;
}

/** Quotes a user value for an error message, shortened so a huge token cannot blow up the answer. */
export function quoteForError(value: string, maxChars = 40): string {
  const shown = value.length > maxChars ? `${value.slice(0, maxChars)}…` : value;
  return `'${shown}'`;
}
