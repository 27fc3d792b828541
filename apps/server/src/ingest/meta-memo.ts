import type { SeriesMeta } from "@livedash/events";

/**
 * The descriptions a receiver (OTLP, scrape, remote_write) last had applied, per series name, so a
 * producer that sends the same HELP/TYPE or unit with every export describes its series once, not once
 * per request (the disk store writes a described series' row at its next flush). Bounded: past
 * `capacity` names it starts over, which only costs describing them again.
 */
export class MetaMemo {
  private applied = new Map<string, string>();

  constructor(
    /** Names remembered. @default 10_000 (the server passes LIVEDASH_MAX_SERIES) */
    private readonly capacity = 10_000,
  ) {}

  /** The entries of `meta` that differ from what was last applied for their name. */
  changed(meta: readonly SeriesMeta[]): SeriesMeta[] {
    return meta.filter((m) => this.applied.get(m.series) !== signature(m));
  }

  /** Records that `meta` was applied (call once the ingest service took the request). */
  remember(meta: readonly SeriesMeta[]): void {
    for (const m of meta) {
      if (this.applied.size >= this.capacity && !this.applied.has(m.series)) this.applied = new Map();
      this.applied.set(m.series, signature(m));
    }
  }
}

function signature(m: SeriesMeta): string {
  return JSON.stringify([m.unit, m.kind, m.description, m.thresholds]);
}
