import { ownedText } from "./owned-text";
import type { SeriesUnit } from "@livedash/events";

/**
 * What a producer's unit becomes in the catalog: the unit of the values as sent (`unit`), and of their
 * per-second rate (`rate`) for the counters the server turns into rates. `raw` is the producer's unit
 * when the dashboard has no unit for it (`Cel`, `KiBy`, `joules`): the description then names it.
 */
export interface UnitMapping {
  readonly unit: SeriesUnit;
  readonly rate: SeriesUnit;
  readonly raw?: string;
}

const NONE: UnitMapping = { unit: "none", rate: "per_second" };
const COUNT: UnitMapping = { unit: "count", rate: "per_second" };
const BYTES: UnitMapping = { unit: "bytes", rate: "bytes_per_second" };
// A rate of seconds per second (CPU time) is a plain number: cores busy.
const SECONDS: UnitMapping = { unit: "seconds", rate: "none" };
const MS: UnitMapping = { unit: "ms", rate: "none" };
const PERCENT: UnitMapping = { unit: "percent", rate: "none" };
const BYTES_PER_SECOND: UnitMapping = { unit: "bytes_per_second", rate: "none" };
const PER_SECOND: UnitMapping = { unit: "per_second", rate: "none" };

/** UCUM units the OpenTelemetry semantic conventions use, and what the dashboard formats them as. */
const UCUM: ReadonlyMap<string, UnitMapping> = new Map([
  ["", NONE],
  ["1", NONE],
  ["By", BYTES],
  ["s", SECONDS],
  ["ms", MS],
  ["%", PERCENT],
  ["By/s", BYTES_PER_SECOND],
  ["1/s", PER_SECOND],
  ["/s", PER_SECOND],
]);

/** `{request}`: a UCUM annotation alone, i.e. a count of something. */
const isAnnotation = (unit: string, end = unit.length) => unit.startsWith("{") && unit.indexOf("}") === end - 1 && end > 2;

/**
 * An OTLP metric's unit (UCUM, as the semantic conventions write it): `By`, `s`, `ms`, `1`, `%`,
 * `{request}` (a count), `By/s`, `{packet}/s`. Others keep the catalog's `none` and are named in `raw`.
 */
export function unitFromUcum(ucum: string): UnitMapping {
  const known = UCUM.get(ucum);
  if (known !== undefined) return known;
  if (isAnnotation(ucum)) return COUNT;
  if (ucum.endsWith("/s") && isAnnotation(ucum, ucum.length - 2)) return PER_SECOND;
  return { unit: "none", rate: "none", raw: ucum };
}

/** Prometheus base units (OpenMetrics `# UNIT`, or a name's suffix by the naming conventions). */
const PROMETHEUS_UNITS: ReadonlyMap<string, UnitMapping> = new Map([
  ["seconds", SECONDS],
  ["milliseconds", MS],
  ["bytes", BYTES],
  ["ratio", { unit: "none", rate: "none" }],
  ["percent", PERCENT],
]);

/**
 * The unit of a Prometheus family: its OpenMetrics `# UNIT` when given, else the unit its name ends in
 * (`node_network_receive_bytes_total` -> bytes, `http_request_duration_seconds` -> seconds), the
 * naming conventions every exporter follows. `unitHint` other than those known is named in `raw`.
 */
export function unitFromPrometheus(family: string, unitHint: string | undefined): UnitMapping {
  if (unitHint !== undefined && unitHint !== "") return PROMETHEUS_UNITS.get(unitHint) ?? { unit: "none", rate: "none", raw: unitHint };
  const base = family.endsWith("_total") ? family.slice(0, -"_total".length) : family;
  const suffix = base.slice(base.lastIndexOf("_") + 1);
  return PROMETHEUS_UNITS.get(suffix) ?? NONE;
}

/** Longest description a series may carry (SeriesMetaSchema). */
export const DESCRIPTION_MAX_LENGTH = 500;

/** `text` with what the suffix and an unknown unit add, cut to the catalog's limit. */
export function describe(text: string, detail: string | null, unit: UnitMapping): string {
  const parts = [text.trim(), detail === null ? "" : `(${detail})`, unit.raw === undefined ? "" : `[unit ${unit.raw}]`].filter(Boolean);
  const out = parts.join(" ");
  // Owned: the parts may be views of a whole request or scrape body, and descriptions are kept.
  return ownedText(out.length > DESCRIPTION_MAX_LENGTH ? `${out.slice(0, DESCRIPTION_MAX_LENGTH - 1)}…` : out, DESCRIPTION_MAX_LENGTH);
}
