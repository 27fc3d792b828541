/**
 * One key string per (name, label tail), kept across requests: the store's, the ingest service's and
 * the live path's Map lookups then find a series by identity (its hash computed once) instead of
 * hashing and comparing a fresh concatenation for every point, as line protocol's head cache does.
 * Tails come from the label-tail caches (one string per attribute set). Bounded: at most `capacity`
 * tails (then it starts over) and `perTail` names each (past that, keys are built each time).
 */
export class SeriesKeys {
  private byTail = new Map<string, Map<string, string>>();

  constructor(
    /** @default 8192 (the label-tail caches' capacity) */
    private readonly capacity = 8192,
    /** @default 16 */
    private readonly perTail = 16,
  ) {}

  key(name: string, tail: string): string {
    let names = this.byTail.get(tail);
    if (names === undefined) {
      if (this.byTail.size >= this.capacity) this.byTail = new Map();
      names = new Map();
      this.byTail.set(tail, names);
    }
    let key = names.get(name);
    if (key === undefined) {
      key = name + tail;
      if (names.size < this.perTail) names.set(name, key);
    }
    return key;
  }
}
