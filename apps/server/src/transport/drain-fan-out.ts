import type { Socket } from "node:net";
import { createDrainListeners } from "../live/drain-listeners";
import type { Sink } from "../live/types";

/**
 * A sink's onDrain for a socket shared by many subscriptions (one WebSocket): one 'drain' listener
 * on the socket while any subscription waits, fanned out to all of them.
 */
export function drainFanOut(socket: Pick<Socket, "on" | "off">): Sink["onDrain"] {
  const listeners = createDrainListeners({
    first: () => socket.on("drain", listeners.notify),
    last: () => socket.off("drain", listeners.notify),
  });
  return listeners.add;
}
