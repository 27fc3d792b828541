export interface RefresherOptions<T> {
  /** Fetches the current value (a query over the page's client). */
  load(): Promise<T>;
  onValue(value: T): void;
  onError?(error: unknown): void;
  /** Fallback re-read, for changes no stream event announces (a silence expiring, a CLI annotation). @default 10_000 */
  refreshMs?: number;
  /** Kicks within this many ms collapse into one load (a burst of transitions is one query). @default 150 */
  debounceMs?: number;
}

/**
 * Keeps one query's answer fresh: loads at start, again shortly after each kick (a stream event
 * said it changed), and every refreshMs regardless. One load at a time; a kick during a load
 * schedules one more after it, so the last answer is never older than the last kick. Answers of
 * loads overtaken by a newer one are dropped.
 */
export class Refresher<T> {
  private timer: ReturnType<typeof setInterval> | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private again = false;
  private closed = false;

  constructor(private readonly options: RefresherOptions<T>) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.options.refreshMs ?? 10_000);
    void this.run();
  }

  /** Something changed: load again soon. */
  kick(): void {
    if (this.closed || this.debounce !== undefined) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.run();
    }, this.options.debounceMs ?? 150);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }

  private async run(): Promise<void> {
    if (this.closed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      const value = await this.options.load();
      if (!this.closed) this.options.onValue(value);
    } catch (error) {
      if (!this.closed) this.options.onError?.(error);
    } finally {
      this.inFlight = false;
    }
    if (this.again) {
      this.again = false;
      await this.run();
    }
  }
}
