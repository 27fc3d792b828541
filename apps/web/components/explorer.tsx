"use client";
import type { SeriesInfo } from "@livedash/events";
import { formatSelector } from "@livedash/events";
import { useEffect, useId, useMemo, useState } from "react";
import type { DashboardClient } from "../lib/client-types";
import { explorerLabelsSelector, labelChoices } from "../lib/explorer-labels";
import { labelValues, splitKey } from "../lib/series-labels";
import { MAX_CUSTOM_CHARTS } from "../lib/view-state";

/** Rows rendered at once; the search narrows the rest. */
const MAX_RESULTS = 200;
/** Typing settles this long before the label filters are asked of the server again. */
const LABELS_DEBOUNCE_MS = 200;

export interface ExplorerProps {
  catalog: readonly SeriesInfo[];
  /** Asked for the label names and values to filter on (`metrics.labels`); null until connected. */
  client: DashboardClient | null;
  /** The charts on the page (chart query texts). */
  added: readonly string[];
  /** Adds a chart for a selector. */
  onAdd(selector: string): void;
  onClose(): void;
}

interface NameRow {
  name: string;
  info: SeriesInfo;
  /** Keys of this name that pass the label filters. */
  keys: string[];
}

/**
 * Search the catalog (collectors and pushed series alike) by name, narrow it by label values, and add
 * a chart for a name with the chosen labels (`app.requests{region="eu"}`: one line per matching series).
 */
export function Explorer({ catalog, client, added, onAdd, onClose }: ExplorerProps) {
  const [query, setQuery] = useState("");
  /** Label -> chosen value; absent: any. */
  const [filters, setFilters] = useState<Record<string, string>>({});
  const inputId = useId();

  const searched = useMemo(() => {
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    return catalog.filter((s) => terms.every((t) => s.name.toLowerCase().includes(t) || s.description.toLowerCase().includes(t)));
  }, [catalog, query]);
  const { choices, error: labelsError } = useLabelChoices(client, query);
  const rows = useMemo(() => {
    const byName = new Map<string, NameRow>();
    for (const info of searched) {
      const { name, labels } = splitKey(info.name);
      if (Object.entries(filters).some(([label, value]) => labels[label] !== value)) continue;
      const row = byName.get(name) ?? { name, info, keys: [] };
      row.keys.push(info.name);
      byName.set(name, row);
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  }, [searched, filters]);
  const full = added.length >= MAX_CUSTOM_CHARTS;
  const selectorOf = (name: string): string =>
    formatSelector({ name, matchers: Object.entries(filters).sort(([a], [b]) => a.localeCompare(b)).map(([label, value]) => ({ label, op: "=", value })) });

  return (
    <section className="panel explorer" aria-label="Series explorer" data-testid="explorer">
      <h2>
        Series explorer <span className="meta">{catalog.length} series</span>
        <span className="spacer" />
        <button type="button" onClick={onClose}>Close</button>
      </h2>
      <label htmlFor={inputId} className="visually-hidden">Search series</label>
      <input
        id={inputId}
        type="search"
        placeholder="Search series, e.g. cpu or app.requests"
        value={query}
        autoFocus
        onChange={(e) => setQuery(e.target.value)}
        data-testid="explorer-search"
      />
      {choices.size > 0 ? (
        <div className="label-filters" role="group" aria-label="Filter by label">
          {[...choices].map(([label, { values, count }]) => (
            <label key={label} className="label-filter">
              {label}{" "}
              <select
                value={filters[label] ?? ""}
                onChange={(e) => {
                  const value = e.target.value;
                  setFilters((f) => {
                    const next = { ...f };
                    if (value === "") delete next[label];
                    else next[label] = value;
                    return next;
                  });
                }}
                data-label-filter={label}
              >
                <option value="">any ({count})</option>
                {values.map((value) => (
                  <option key={value} value={value}>
                    {value}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
      ) : null}
      {labelsError !== null ? <p className="meta" data-testid="explorer-labels-error">Label filters could not be refreshed: {labelsError}</p> : null}
      {full ? <p className="meta">At most {MAX_CUSTOM_CHARTS} custom charts; remove one to add another.</p> : null}
      <ul>
        {rows.slice(0, MAX_RESULTS).map(({ name, info, keys }) => {
          const selector = selectorOf(name);
          const isAdded = added.includes(selector);
          const labelNames = [...labelValues(keys).keys()];
          return (
            <li key={name} data-explorer-name={name}>
              <span>
                <code>{selector}</code>{" "}
                <span className="meta">
                  {info.unit} · {info.kind}
                  {keys.length > 1 || labelNames.length > 0 ? ` · ${keys.length} series${labelNames.length > 0 ? ` by ${labelNames.join(", ")}` : ""}` : ""}
                  {info.description ? ` · ${info.description}` : ""}
                </span>
              </span>
              <button type="button" disabled={isAdded || full} onClick={() => onAdd(selector)} aria-label={`Add chart for ${selector}`} data-add-series={selector}>
                {isAdded ? "Added" : "Add"}
              </button>
            </li>
          );
        })}
        {rows.length === 0 ? <li className="meta">No series match “{query}”.</li> : null}
        {rows.length > MAX_RESULTS ? <li className="meta">{rows.length - MAX_RESULTS} more: refine the search.</li> : null}
      </ul>
    </section>
  );
}

/**
 * The label names and values to filter on: those of the series whose names the search matches
 * (`metrics.labels` on the server, which holds the whole catalog), so every choice narrows to
 * something. Asked again once typing settles; an answer to an older search is dropped.
 */
function useLabelChoices(client: DashboardClient | null, search: string) {
  const [choices, setChoices] = useState<ReturnType<typeof labelChoices>>(new Map());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (client === null) return;
    let current = true;
    const timer = setTimeout(() => {
      const selector = explorerLabelsSelector(search);
      client.labels(selector === null ? {} : { selector }).then(
        (result) => {
          if (!current) return;
          setChoices(labelChoices(result));
          setError(null);
        },
        // The filters stay as they were, and the explorer says why they may be stale.
        (failure: unknown) => {
          if (current) setError(failure instanceof Error ? failure.message : String(failure));
        },
      );
    }, LABELS_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, search]);
  return { choices, error };
}
