/**
 * A bounded set of recently seen event ids, evicting the oldest first. Ids are opaque strings:
 * we never parse or compare them, only remember them, so any server id scheme works.
 */
export class SeenIds {
  readonly #ids = new Set<string>();
  readonly #order: (string | undefined)[];
  #next = 0;

  constructor(readonly capacity: number) {
    this.#order = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers `id`; returns false when it was already there. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    const evicted = this.#order[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#order[this.#next] = id;
    this.#next = (this.#next + 1) % this.capacity;
    this.#ids.add(id);
    return true;
  }

  get size(): number {
    return this.#ids.size;
  }
}
