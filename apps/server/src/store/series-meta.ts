import type { SeriesInfo, SeriesKind, SeriesMeta, SeriesUnit, Thresholds } from "@livedash/events";

/** Catalog fields of one series, shared by the memory and the disk store. */
export interface CatalogFields {
  unit: SeriesUnit;
  kind: SeriesKind;
  description: string;
  thresholds: Thresholds | undefined;
}

/** Defaults for a series nobody described. */
export const defaultCatalogFields = (): CatalogFields => ({ unit: "none", kind: "gauge", description: "", thresholds: undefined });

/**
 * Field-level merge: only fields present in the update change. `thresholds`, when present, replaces
 * the previous object as a whole so a producer can drop a level it no longer wants.
 */
export function mergeMeta(fields: CatalogFields, m: SeriesMeta): void {
  if (m.unit !== undefined) fields.unit = m.unit;
  if (m.kind !== undefined) fields.kind = m.kind;
  if (m.description !== undefined) fields.description = m.description;
  if (m.thresholds !== undefined) fields.thresholds = m.thresholds;
}

/**
 * Meta is declared per series NAME (SeriesMetaSchema) and applies to every key of that name: a
 * labelled key (`host.cpu.user{cpu="0"}`, which no one can describe itself) lists its name's unit,
 * kind, description and thresholds. A name that was described but never written under its bare key
 * is listed only while no key of it exists: it stood for series that now have their own entries.
 * `infos` is sorted by key; so is the result.
 */
export function withNameMeta(infos: readonly SeriesInfo[]): SeriesInfo[] {
  const byName = new Map<string, SeriesInfo>();
  for (const info of infos) if (!info.name.includes("{")) byName.set(info.name, info);
  const labelledNames = new Set<string>();
  const out: SeriesInfo[] = [];
  for (const info of infos) {
    const brace = info.name.indexOf("{");
    if (brace === -1) {
      out.push(info);
      continue;
    }
    const name = info.name.slice(0, brace);
    labelledNames.add(name);
    const meta = byName.get(name);
    if (meta === undefined) {
      out.push(info);
      continue;
    }
    const entry: SeriesInfo = { name: info.name, unit: meta.unit, kind: meta.kind, description: meta.description, last: info.last };
    if (meta.thresholds !== undefined) entry.thresholds = { ...meta.thresholds };
    out.push(entry);
  }
  return out.filter((info) => info.last !== null || !labelledNames.has(info.name));
}

export function catalogEntry(name: string, fields: CatalogFields, last: SeriesInfo["last"]): SeriesInfo {
  const info: SeriesInfo = { name, unit: fields.unit, kind: fields.kind, description: fields.description, last };
  if (fields.thresholds !== undefined) info.thresholds = { ...fields.thresholds };
  return info;
}
