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

export function catalogEntry(name: string, fields: CatalogFields, last: SeriesInfo["last"]): SeriesInfo {
  const info: SeriesInfo = { name, unit: fields.unit, kind: fields.kind, description: fields.description, last };
  if (fields.thresholds !== undefined) info.thresholds = { ...fields.thresholds };
  return info;
}
