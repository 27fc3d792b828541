import uPlot from "uplot";
import type { AnnotationMark, AnnotationTone } from "./annotation-geometry";

const TONE_VARS: Record<AnnotationTone, [string, string]> = {
  user: ["--accent", "#4ea1ff"],
  firing: ["--crit", "#ff5c5c"],
  resolved: ["--ok", "#3ecf8e"],
  alert: ["--warn", "#f0b429"],
};

function toneColor(tone: AnnotationTone): string {
  const [name, fallback] = TONE_VARS[tone];
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === "" ? fallback : value;
}

/**
 * Draws annotation marks on a uPlot chart: on the canvas (a line, or a shaded band) inside the
 * draw hook, and as transparent DOM elements over the plot carrying the text, which show it on
 * hover and focus and let a screen reader or a test find each mark (`data-annotation`). The DOM
 * elements sit inside uPlot's `over` layer, so a drag that starts on one still selects a range.
 */
export class AnnotationLayer {
  private readonly elements = new Map<string, HTMLElement>();

  constructor(private readonly over: HTMLElement) {}

  draw(u: uPlot, marks: readonly AnnotationMark[]): void {
    const ctx = u.ctx;
    const ratio = uPlot.pxRatio;
    const top = u.bbox.top;
    const height = u.bbox.height;
    ctx.save();
    for (const mark of marks) {
      const color = toneColor(mark.tone);
      const x = u.bbox.left + mark.left * ratio;
      if (mark.kind === "band") {
        ctx.globalAlpha = 0.14;
        ctx.fillStyle = color;
        ctx.fillRect(x, top, Math.max(ratio, mark.width * ratio), height);
        ctx.globalAlpha = 1;
      }
      ctx.strokeStyle = color;
      ctx.lineWidth = ratio;
      ctx.setLineDash(mark.tone === "user" ? [] : [4 * ratio, 3 * ratio]);
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, top);
      ctx.lineTo(Math.round(x) + 0.5, top + height);
      ctx.stroke();
    }
    ctx.restore();
    this.sync(marks, u.bbox.width / ratio);
  }

  private sync(marks: readonly AnnotationMark[], plotWidth: number): void {
    const seen = new Set<string>();
    for (const mark of marks) {
      seen.add(mark.key);
      let el = this.elements.get(mark.key);
      if (el === undefined) {
        el = create(mark);
        this.elements.set(mark.key, el);
        this.over.appendChild(el);
      }
      // A line gets a few pixels either side to hover; a band its whole width.
      const hit = mark.kind === "line" ? 9 : Math.max(9, mark.width);
      el.style.left = `${mark.kind === "line" ? mark.left - hit / 2 : mark.left}px`;
      el.style.width = `${hit}px`;
      // Text on the side with room: a mark in the right half opens its text leftwards.
      el.dataset.flip = mark.left > plotWidth / 2 ? "true" : "false";
    }
    for (const [key, el] of this.elements) {
      if (seen.has(key)) continue;
      el.remove();
      this.elements.delete(key);
    }
  }

  destroy(): void {
    for (const el of this.elements.values()) el.remove();
    this.elements.clear();
  }
}

function create(mark: AnnotationMark): HTMLElement {
  const el = document.createElement("div");
  el.className = "annotation-marker";
  el.dataset.annotation = mark.key;
  el.dataset.kind = mark.kind;
  el.dataset.tone = mark.tone;
  el.tabIndex = 0;
  const when = new Date(mark.ts).toLocaleString() + (mark.endTs !== null && mark.endTs !== mark.ts ? ` – ${new Date(mark.endTs).toLocaleString()}` : "");
  el.setAttribute("aria-label", `${mark.text} (${when})`);
  const text = document.createElement("span");
  text.className = "annotation-text";
  text.setAttribute("role", "tooltip");
  text.textContent = mark.text;
  const time = document.createElement("small");
  time.textContent = when;
  text.appendChild(time);
  el.appendChild(text);
  return el;
}
