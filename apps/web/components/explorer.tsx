"use client";
import type { SeriesInfo } from "@livedash/events";
import { useId, useMemo, useState } from "react";
import { MAX_CUSTOM_CHARTS } from "../lib/view-state";

/** Rows rendered at once; the search narrows the rest. */
const MAX_RESULTS = 200;

export interface ExplorerProps {
  catalog: readonly SeriesInfo[];
  added: readonly string[];
  onAdd(series: string): void;
  onClose(): void;
}

/** Search the catalog (collectors and pushed series alike) and add a chart for any series. */
export function Explorer({ catalog, added, onAdd, onClose }: ExplorerProps) {
  const [query, setQuery] = useState("");
  const inputId = useId();
  const matches = useMemo(() => {
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    return catalog
      .filter((s) => terms.every((t) => s.name.toLowerCase().includes(t) || s.description.toLowerCase().includes(t)))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  }, [catalog, query]);
  const full = added.length >= MAX_CUSTOM_CHARTS;

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
      {full ? <p className="meta">At most {MAX_CUSTOM_CHARTS} custom charts; remove one to add another.</p> : null}
      <ul>
        {matches.slice(0, MAX_RESULTS).map((s) => {
          const isAdded = added.includes(s.name);
          return (
            <li key={s.name}>
              <span>
                <code>{s.name}</code> <span className="meta">{s.unit} · {s.kind}{s.description ? ` · ${s.description}` : ""}</span>
              </span>
              <button type="button" disabled={isAdded || full} onClick={() => onAdd(s.name)} aria-label={`Add chart for ${s.name}`} data-add-series={s.name}>
                {isAdded ? "Added" : "Add"}
              </button>
            </li>
          );
        })}
        {matches.length === 0 ? <li className="meta">No series match “{query}”.</li> : null}
        {matches.length > MAX_RESULTS ? <li className="meta">{matches.length - MAX_RESULTS} more: refine the search.</li> : null}
      </ul>
    </section>
  );
}
