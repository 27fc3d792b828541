import type { Labels, SeriesMeta } from "@livedash/events";

/**
 * One value of one series; the tick loop stamps every reading of a tick with the same ts and adds
 * the `host` label. `series` is the NAME (what is measured); what it was measured on (a core, an
 * interface, a disk) goes in `labels`, so one name covers every core and `{cpu="0"}` picks one.
 */
export interface Reading {
  readonly series: string;
  readonly labels?: Labels;
  readonly value: number;
}

/** What the tick loop hands each collector when it builds it. */
export interface CollectorEnv {
  /** Root of procfs. @default "/proc" */
  readonly procRoot: string;
  /** Root of sysfs. @default "/sys" */
  readonly sysRoot: string;
  /**
   * Declares metadata of the series NAMES the collector will produce (meta is per name and applies to
   * every label set of that name). Called from the constructor for what is known at start (sent in
   * the one describe() of startCollectors) and again when a source appears late (sent before that
   * tick's publish).
   */
  readonly declare: (meta: SeriesMeta[]) => void;
}

/**
 * One concern's sampler. Constructors read a first baseline synchronously, so the first tick can
 * already publish rates. A missing /proc or /sys file means "skip those series", never an error.
 */
export interface Collector {
  readonly name: string;
  /** Appends this tick's readings to `out`. May reject: the tick loop reports it and goes on. */
  sample(out: Reading[]): Promise<void> | void;
  /** Releases observers/histograms the collector owns. */
  stop?(): void;
}

/**
 * A declare() for a collector whose source may be missing at start: sends its metadata the first
 * time the source is read (at start, or on the tick that finds it), and never again.
 */
export function declareOnce(env: CollectorEnv, meta: SeriesMeta[]): () => void {
  let declared = false;
  return () => {
    if (declared) return;
    declared = true;
    env.declare(meta);
  };
}
