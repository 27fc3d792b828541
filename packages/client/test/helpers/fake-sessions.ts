import type { TransportKind } from "../../src/connection-state";
import { resolveLadderOptions } from "../../src/options";
import type { LadderOptions } from "../../src/options";
import type { FetchLike, SessionEvents, SessionFactory, SessionSubscription, TransportContext, TransportSession } from "../../src/transports/types";

/** A session the test drives by hand: it reports whatever the test tells it to, when it says so. */
export interface FakeSession extends TransportSession {
  readonly events: SessionEvents;
  readonly subs: Map<number, SessionSubscription>;
  readonly createdAt: number;
  closed: boolean;
}

/** Factories for every rung that record each session they make, in order. */
export function fakeFactories(): { factories: Record<TransportKind, SessionFactory>; sessions: FakeSession[] } {
  const sessions: FakeSession[] = [];
  const make =
    (kind: TransportKind): SessionFactory =>
    (_ctx, events) => {
      const subs = new Map<number, SessionSubscription>();
      const session: FakeSession = {
        kind,
        events,
        subs,
        createdAt: Date.now(),
        closed: false,
        add: (sub) => void subs.set(sub.key, sub),
        remove: (sub) => void subs.delete(sub.key),
        close: () => {
          session.closed = true;
        },
      };
      sessions.push(session);
      return session;
    };
  return { factories: { ws: make("ws"), sse: make("sse"), poll: make("poll") }, sessions };
}

/** A context with no network: `fetch` is the test's (reachability checks and polls go through it). */
export function fakeContext(fetch: FetchLike, ladder: Partial<LadderOptions> = {}): TransportContext {
  return {
    baseUrl: "http://127.0.0.1:1",
    token: undefined,
    tickets: null,
    // No baseline request before subscribing: the tests drive sessions directly.
    options: resolveLadderOptions({ pollProcedures: {}, ...ladder }),
    fetch,
    getWebSocket: () => Promise.reject(new Error("no WebSocket in unit tests")),
    getEventSource: () => Promise.reject(new Error("no EventSource in unit tests")),
  };
}

/** fetch answering every request with 200 and a JSON body: "the server is reachable". */
export const reachableFetch: FetchLike = () => Promise.resolve(new Response("{}", { status: 200, headers: { "content-type": "application/json" } }));
