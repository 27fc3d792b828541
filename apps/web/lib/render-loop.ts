import type { Clock } from "./server-clock";

/** Something the loop redraws: a chart, a stat tile, a sparkline. */
export interface Drawable {
  /**
   * Called once per animation frame while the drawable is on screen and the tab is visible.
   * Returns true when it actually drew (the loop limits draws per frame, not calls).
   */
  frame(nowMs: number): boolean;
  /** Asks for a redraw on the next turn whatever changed (pause and resume move the time axis at once). */
  invalidate?(): void;
  /** The element whose visibility decides whether frame() runs; null = always. */
  element: Element | null;
}

export interface RenderLoopOptions {
  /** Margin around the viewport in which a chart still counts as visible. @default "200px" */
  rootMargin?: string;
  /**
   * Main-thread time one frame may spend drawing. Charts whose turn did not come wait for the next
   * frame (round robin), so ten charts due at once become ten cheap frames, not one dropped one.
   * @default 6
   */
  frameBudgetMs?: number;
  /**
   * Charts redrawn in one frame at most. Each redrawn canvas costs the compositor a commit of several
   * milliseconds with software raster (bench/render.mjs traces 8-10 ms each on two cores), so a frame
   * that redraws many at once is a dropped frame; spreading them keeps 60 fps. @default 2
   */
  maxDrawsPerFrame?: number;
  /** Where "now" comes from: the server's clock, so a skewed browser clock moves no chart edge. @default Date */
  clock?: Clock;
}

/**
 * The one requestAnimationFrame loop of a page. Live data only lands in typed arrays; this loop
 * is what turns it into pixels, once per frame for every chart together, skipping charts that are
 * off screen (IntersectionObserver) and stopping entirely while the tab is hidden.
 */
export class RenderLoop {
  private drawables: Drawable[] = [];
  private nextIndex = 0;
  private readonly frameBudgetMs: number;
  private readonly maxDrawsPerFrame: number;
  private readonly visible = new WeakSet<Element>();
  private readonly observer: IntersectionObserver | null;
  private rafId = 0;
  private running = false;
  private frozenAtMs: number | null = null;
  private readonly clock: Clock;
  private readonly onVisibility = () => this.sync();

  constructor(options: RenderLoopOptions = {}) {
    this.frameBudgetMs = options.frameBudgetMs ?? 6;
    this.maxDrawsPerFrame = options.maxDrawsPerFrame ?? 2;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.observer =
      typeof IntersectionObserver === "undefined"
        ? null
        : new IntersectionObserver(
            (entries) => {
              for (const entry of entries) {
                if (entry.isIntersecting) this.visible.add(entry.target);
                else this.visible.delete(entry.target);
              }
            },
            { rootMargin: options.rootMargin ?? "200px" },
          );
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  add(drawable: Drawable): () => void {
    this.drawables.push(drawable);
    if (drawable.element !== null) {
      if (this.observer === null) this.visible.add(drawable.element);
      else this.observer.observe(drawable.element);
    }
    this.sync();
    return () => {
      this.drawables = this.drawables.filter((d) => d !== drawable);
      if (drawable.element !== null) this.observer?.unobserve(drawable.element);
      this.sync();
    };
  }

  /** Time the charts show at their right edge: the server's now, or the moment the view was paused. */
  nowMs(): number {
    return this.frozenAtMs ?? this.clock.now();
  }

  frozenAt(): number | null {
    return this.frozenAtMs;
  }

  /** Pausing freezes the time axis; data keeps landing in buffers and shows on resume. */
  setFrozenAt(ms: number | null): void {
    this.frozenAtMs = ms;
    for (const drawable of this.drawables) drawable.invalidate?.();
  }

  destroy(): void {
    this.running = false;
    cancelAnimationFrame(this.rafId);
    this.observer?.disconnect();
    this.drawables = [];
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  private sync(): void {
    const shouldRun = this.drawables.length > 0 && document.visibilityState !== "hidden";
    if (shouldRun && !this.running) {
      this.running = true;
      this.rafId = requestAnimationFrame(this.tick);
    } else if (!shouldRun && this.running) {
      this.running = false;
      cancelAnimationFrame(this.rafId);
    }
  }

  private readonly tick = () => {
    if (!this.running) return;
    const now = this.nowMs();
    const started = performance.now();
    const count = this.drawables.length;
    let draws = 0;
    for (let n = 0; n < count; n++) {
      const index = (this.nextIndex + n) % count;
      const drawable = this.drawables[index] as Drawable;
      if ((drawable.element === null || this.visible.has(drawable.element)) && drawable.frame(now)) draws++;
      if (draws >= this.maxDrawsPerFrame || performance.now() - started > this.frameBudgetMs) {
        this.nextIndex = (index + 1) % count;
        break;
      }
    }
    this.rafId = requestAnimationFrame(this.tick);
  };
}
