import { TRPCClientError } from "@trpc/client";
import type { TRPCLink } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import type { Ladder } from "./ladder";

/**
 * Terminating tRPC link for subscriptions: hands each one to the ladder, which keeps it alive across
 * reconnects and transport switches. Results take the shape tRPC's own wsLink and
 * httpSubscriptionLink produce, so `onData` receives `{ id, data }` for tracked() events.
 */
export function ladderLink<TRouter extends AnyRouter>(ladder: Ladder): TRPCLink<TRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type !== "subscription") {
          throw new Error(`ladderLink only carries subscriptions, got a ${op.type} for ${op.path}`);
        }
        // tRPC's own links report connection state as "connecting" | "pending" (connected);
        // mirror the ladder's status the same way for onConnectionStateChange.
        let reported: "connecting" | "pending" | null = null;
        const report = (status: string) => {
          const state = status === "live" ? "pending" : "connecting";
          if (state === reported) return;
          reported = state;
          observer.next({ result: { type: "state", state, error: null } });
        };
        report(ladder.state.get().status);
        const stopState = ladder.state.subscribe((s) => report(s.status));
        const unsubscribe = ladder.subscribe(op.path, op.input, {
          onStarted: () => observer.next({ result: { type: "started" } }),
          onData: (id, data) =>
            observer.next({ result: id === undefined ? { type: "data", data } : { type: "data", id, data: { id, data } } }),
          onError: (error) => observer.error(TRPCClientError.from<TRouter>(error instanceof Error ? error : new Error(String(error)))),
          onComplete: () => observer.complete(),
        });
        return () => {
          stopState();
          unsubscribe();
        };
      });
}
