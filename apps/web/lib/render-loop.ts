/** Something the loop redraws: a chart, a stat tile, a sparkline. */
export interface Drawable {
  /** Called once per animation frame while the drawable is on screen and the tab is visible. */
  frame(nowMs: number): void;
  /** The element whose visibility decides whether frame() runs; null = always. */
  element: Element | null;
}

export interface RenderLoopOptions {
  /** Margin around the viewport in which a chart still counts as visible. @default "200px" */
  rootMargin?: string;
}

/**
 * The one requestAnimationFrame loop of a page. Live data only lands in typed arrays; this loop
 * is what turns it into pixels, once per frame for every chart together, skipping charts that are
 * off screen (IntersectionObserver) and stopping entirely while the tab is hidden.
 */
export class RenderLoop {
  private readonly drawables = new Set<Drawable>();
  private readonly visible = new WeakSet<Element>();
  private readonly observer: IntersectionObserver | null;
  private rafId = 0;
  private running = false;
  private frozenAtMs: number | null = null;
  private readonly onVisibility = () => this.sync();

  constructor(options: RenderLoopOptions = {}) {
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
    this.drawables.add(drawable);
    if (drawable.element !== null) {
      if (this.observer === null) this.visible.add(drawable.element);
      else this.observer.observe(drawable.element);
    }
    this.sync();
    return () => {
      this.drawables.delete(drawable);
      if (drawable.element !== null) this.observer?.unobserve(drawable.element);
      this.sync();
    };
  }

  /** Time the charts show at their right edge: now, or the moment the view was paused. */
  nowMs(): number {
    return this.frozenAtMs ?? Date.now();
  }

  frozenAt(): number | null {
    return this.frozenAtMs;
  }

  /** Pausing freezes the time axis; data keeps landing in buffers and shows on resume. */
  setFrozenAt(ms: number | null): void {
    this.frozenAtMs = ms;
  }

  destroy(): void {
    this.running = false;
    cancelAnimationFrame(this.rafId);
    this.observer?.disconnect();
    this.drawables.clear();
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  private sync(): void {
    const shouldRun = this.drawables.size > 0 && document.visibilityState !== "hidden";
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
    for (const drawable of this.drawables) {
      if (drawable.element === null || this.visible.has(drawable.element)) drawable.frame(now);
    }
    this.rafId = requestAnimationFrame(this.tick);
  };
}
