import type { Annotation } from "@livedash/events";

/** How a marker is coloured: a user's note, or an alert that fired or resolved. */
export type AnnotationTone = "user" | "firing" | "resolved" | "alert";

/** One annotation placed on a chart's plot area, in CSS pixels from its left edge. */
export interface AnnotationMark {
  /** Unique per chart: ids are per source (user annotations and alert transitions number apart). */
  key: string;
  kind: "line" | "band";
  /** Left edge (a line's x). */
  left: number;
  /** 0 for a line; a band's visible width (at least 1 px, so a short range still shows). */
  width: number;
  text: string;
  tone: AnnotationTone;
  ts: number;
  endTs: number | null;
}

/** Markers most drawn per chart: past this the plot is all markers and shows nothing. @default 200 */
export const MAX_MARKS = 200;

export function toneOf(annotation: Pick<Annotation, "source" | "tags">): AnnotationTone {
  if (annotation.source === "user") return "user";
  if (annotation.tags.includes("firing")) return "firing";
  if (annotation.tags.includes("resolved")) return "resolved";
  return "alert";
}

/**
 * Where each annotation the window [fromMs, toMs] holds goes on a plot `widthPx` wide: a point is
 * a vertical line, a range a band clipped to the window (a range overlapping the window shows even
 * when it starts or ends outside it). Annotations outside the window give no mark; the newest
 * `maxMarks` are kept.
 */
export function annotationMarks(annotations: readonly Annotation[], fromMs: number, toMs: number, widthPx: number, maxMarks = MAX_MARKS): AnnotationMark[] {
  if (!(toMs > fromMs) || !(widthPx > 0)) return [];
  const scale = widthPx / (toMs - fromMs);
  const x = (ts: number) => (Math.min(Math.max(ts, fromMs), toMs) - fromMs) * scale;
  const marks: AnnotationMark[] = [];
  for (const a of annotations) {
    const end = a.endTs ?? a.ts;
    if (end < fromMs || a.ts > toMs) continue;
    const base = { key: `${a.source}:${a.id}`, text: a.text, tone: toneOf(a), ts: a.ts, endTs: a.endTs };
    if (a.endTs === null || a.endTs === a.ts) {
      marks.push({ ...base, kind: "line", left: x(a.ts), width: 0 });
    } else {
      const left = x(a.ts);
      marks.push({ ...base, kind: "band", left, width: Math.max(1, x(end) - left) });
    }
  }
  marks.sort((a, b) => a.ts - b.ts || a.key.localeCompare(b.key));
  return marks.length > maxMarks ? marks.slice(marks.length - maxMarks) : marks;
}
