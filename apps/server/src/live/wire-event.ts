import type { IdentifiedEvent, LiveEvent } from "@livedash/events";
import type { FrameEncoder } from "./types";

/**
 * One event on its way out: its id, the event, its JSON built at most once, and the frames built
 * from it, one per encoder key. Every subscriber that gets this event shares all three.
 */
export class WireEvent implements IdentifiedEvent {
  #json: string | null = null;
  #frames: Map<string, unknown> | null = null;

  constructor(
    readonly id: string,
    readonly event: LiveEvent,
  ) {}

  get json(): string {
    return (this.#json ??= JSON.stringify(this.event));
  }

  frame<F>(encoder: FrameEncoder<F>): F {
    const frames = (this.#frames ??= new Map());
    let frame = frames.get(encoder.key) as F | undefined;
    if (frame === undefined) {
      frame = encoder.encode(this);
      frames.set(encoder.key, frame);
    }
    return frame;
  }
}
