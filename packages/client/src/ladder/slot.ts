import { isObject } from "../transports/http";
import type { TransportSession } from "../transports/types";

/** One live or pending session and where it sits on the ladder. */
export interface Slot {
  readonly id: number;
  readonly level: number;
  readonly session: TransportSession;
  live: boolean;
  /** Live for `stableLiveMs` already: its loss is a real disconnect, not a failed attempt. */
  stable: boolean;
  stableTimer: ReturnType<typeof setTimeout> | undefined;
}

/** Stops a slot's session and its stability timer; a slot is never reused. */
export function closeSlot(slot: Slot | null): void {
  if (slot === null) return;
  clearTimeout(slot.stableTimer);
  slot.session.close();
}

/** A live event the server sent after falling behind: only the latest point per series (@livedash/events). */
export function isCoalesced(data: unknown): boolean {
  return isObject(data) && data["coalesced"] === true;
}
