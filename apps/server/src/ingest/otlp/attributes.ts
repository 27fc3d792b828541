import { toLabelName } from "@livedash/events";
import type { OtlpAnyValue, OtlpKeyValue } from "./model";

/**
 * Resource attributes that become labels, and their label names (LABELS-PLAN). Every other resource
 * attribute is dropped: SDKs add `telemetry.sdk.*`, `process.pid`, `process.command_args`..., which
 * would give each restart new series (Prometheus' OTLP receiver drops them too, into target_info).
 */
export const RESOURCE_LABELS: ReadonlyMap<string, string> = new Map([
  ["service.name", "service"],
  ["host.name", "host"],
  ["service.instance.id", "instance"],
]);

/** A label set safe for any attribute key: no prototype, so `constructor` or `__proto__` are plain keys. */
export function emptyLabels(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

const SAFE_SERIES_NAME = /^[a-zA-Z0-9_.:-]+$/;
const UNSAFE_SERIES_CHARS = /[^a-zA-Z0-9_.:-]/g;

/**
 * An attribute key as a label name, as Prometheus translates OTLP: every character outside
 * `[a-zA-Z0-9_]` becomes `_` (`http.route` -> `http_route`), and a leading digit gets a `_` in front.
 * `__`-prefixed results stay as they are: labelsProblem refuses them as reserved, naming the label.
 */
export function labelNameFor(key: string): string {
  // The one mapping Influx tag keys use too, so a key is the same label whichever way it arrives.
  return toLabelName(key);
}

/** An OTLP metric name as a series name: characters outside `[a-zA-Z0-9_.:-]` become `_`. */
export function seriesNameFor(metricName: string): string {
  return SAFE_SERIES_NAME.test(metricName) ? metricName : metricName.replace(UNSAFE_SERIES_CHARS, "_");
}

/** How deep arrays and key-value lists nest inside one attribute value before the rest is cut. */
const MAX_VALUE_DEPTH = 8;

/**
 * An attribute value as label text: strings as they are, booleans and numbers in their usual
 * spelling, bytes in base64 (proto3 JSON's spelling), arrays and key-value lists as JSON.
 * An unset value is "" (no label).
 */
export function attributeText(value: OtlpAnyValue | null | undefined): string {
  if (!value) return "";
  if (value.stringValue != null) return value.stringValue;
  const plain = toPlain(value, 0);
  if (plain === null) return "";
  return typeof plain === "string" ? plain : typeof plain === "object" ? JSON.stringify(plain) : String(plain);
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

function toPlain(value: OtlpAnyValue | null | undefined, depth: number): Plain {
  if (!value) return null;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  if (value.intValue != null) return value.intValue;
  if (value.doubleValue != null) return Number.isFinite(value.doubleValue) ? value.doubleValue : String(value.doubleValue);
  if (value.bytesValue != null) return Buffer.from(value.bytesValue.buffer, value.bytesValue.byteOffset, value.bytesValue.byteLength).toString("base64");
  if (depth >= MAX_VALUE_DEPTH) return "…";
  if (value.arrayValue != null) return value.arrayValue.values.map((item) => toPlain(item, depth + 1));
  if (value.kvlistValue != null) {
    const out: { [key: string]: Plain } = {};
    for (const kv of value.kvlistValue.values) out[kv.key] = toPlain(kv.value, depth + 1);
    return out;
  }
  return null;
}

/**
 * Adds `attributes` to `labels` (made by emptyLabels) under their label names. Two keys that map to one label name
 * (`a.b` and `a_b`) have their values joined with `;`, as Prometheus' OTLP translation does, so no
 * value is silently lost. Empty values add nothing (an empty label value means no label).
 */
export function addAttributeLabels(labels: Record<string, string>, attributes: readonly OtlpKeyValue[]): void {
  for (const attribute of attributes) {
    const text = attributeText(attribute.value);
    if (text === "") continue;
    const name = labelNameFor(attribute.key);
    const held = labels[name];
    labels[name] = held === undefined ? text : `${held};${text}`;
  }
}

/** The labels a resource gives every point under it (RESOURCE_LABELS). */
export function resourceLabels(attributes: readonly OtlpKeyValue[] | undefined): Record<string, string> {
  const labels = emptyLabels();
  if (!attributes) return labels;
  for (const attribute of attributes) {
    const name = RESOURCE_LABELS.get(attribute.key);
    if (name === undefined) continue;
    const text = attributeText(attribute.value);
    if (text !== "") labels[name] = text;
  }
  return labels;
}
