import type { LiveEvent } from "@livedash/events";

export interface Received {
  readonly id: string;
  readonly event: LiveEvent;
}

/** Collects what a subscriber's onData receives and checks the no-duplicate / no-silent-gap rule. */
export class Recorder {
  readonly events: Received[] = [];

  onData = (envelope: { id: string; data: LiveEvent }) => {
    this.events.push({ id: envelope.id, event: envelope.data });
  };

  values(series: string): number[] {
    return this.events.flatMap((e) => (e.event.type === "points" ? e.event.points.filter((p) => p.series === series).map((p) => p.value) : []));
  }

  resets(): number {
    return this.events.filter((e) => e.event.type === "reset").length;
  }

  /**
   * Splits the stream at resets. Within a segment values must go up by exactly 1 (no gap, no
   * repeat); only a reset may separate non-consecutive values. Ids must be unique overall.
   */
  check(series: string): { segments: number[][]; problems: string[] } {
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const e of this.events) {
      if (ids.has(e.id)) problems.push(`duplicate event id ${e.id}`);
      ids.add(e.id);
    }
    const segments: number[][] = [[]];
    for (const e of this.events) {
      if (e.event.type === "reset") {
        segments.push([]);
        continue;
      }
      const segment = segments[segments.length - 1] as number[];
      for (const p of e.event.points) {
        if (p.series !== series) continue;
        const prev = segment[segment.length - 1];
        if (prev !== undefined && p.value !== prev + 1) {
          problems.push(`value ${p.value} after ${prev} without a reset in between`);
        }
        segment.push(p.value);
      }
    }
    return { segments, problems };
  }
}
