import type { Annotation } from "@livedash/events";
import { Refresher } from "./refresher";
import type { TimeRange } from "./view-state";

export interface AnnotationFeedOptions {
  /** `metrics.annotations` over the page's client. */
  load(range: TimeRange): Promise<Annotation[]>;
  /** The time the page's charts show now (the live window, or the zoom), server time. */
  range(): TimeRange;
  onError?(error: unknown): void;
  /** How often the window's annotations are re-read. @default 5_000 */
  refreshMs?: number;
}

/**
 * The annotations of the time the charts show, for every chart to draw. Kept fresh by re-reading
 * `metrics.annotations` every few seconds and at once when something announces a change (an alert
 * transition on the stream, a window or zoom change). A re-read rather than a stream of its own:
 * annotations are few and rare, a range query of the visible window is one indexed read on the
 * server, it works the same over every transport and through failover, and it needs no new event
 * kind that older clients would have to skip. The cost is up to refreshMs of delay for an
 * annotation posted from elsewhere (a deploy script).
 */
export class AnnotationFeed {
  private annotations: readonly Annotation[] = [];
  private version_ = 0;
  private readonly refresher: Refresher<Annotation[]>;

  constructor(options: AnnotationFeedOptions) {
    this.refresher = new Refresher({
      load: () => options.load(options.range()),
      onValue: (annotations) => {
        if (sameAnnotations(this.annotations, annotations)) return;
        this.annotations = annotations;
        this.version_++;
      },
      onError: options.onError,
      refreshMs: options.refreshMs ?? 5_000,
    });
  }

  start(): void {
    this.refresher.start();
  }

  kick(): void {
    this.refresher.kick();
  }

  list(): readonly Annotation[] {
    return this.annotations;
  }

  /** Bumped when the list changed: charts redraw their markers then, not on every re-read. */
  version(): number {
    return this.version_;
  }

  close(): void {
    this.refresher.close();
  }
}

function sameAnnotations(a: readonly Annotation[], b: readonly Annotation[]): boolean {
  return a.length === b.length && a.every((x, i) => {
    const y = b[i];
    return y !== undefined && x.id === y.id && x.source === y.source && x.ts === y.ts && x.endTs === y.endTs && x.text === y.text;
  });
}
