/**
 * Sanity check with the real @trpc/client links (child process): wsLink (createWSClient with `ws`)
 * and httpSubscriptionLink (with the `eventsource` package, since Node 20 has no EventSource).
 * The load clients speak the wire protocol by hand for speed; this proves the standard links agree.
 */
import { createTRPCClient, createWSClient, httpSubscriptionLink, wsLink } from "@trpc/client";
import { EventSource } from "eventsource";
import WebSocket from "ws";
import { createHistogram, mergeSparse } from "./lib/histogram.mjs";
import { serveWorker } from "./lib/worker-ipc.mjs";

/** Set by run.mjs for a server with tokens (--read-token); empty means an open server. */
const READ_TOKEN = process.env.BENCH_READ_TOKEN || undefined;

/** @type {Array<{ link: string, started: boolean, events: number, points: number, errors: string[], hist: ReturnType<typeof createHistogram>, stop: () => void }>} */
const clients = [];

function subscribe(/** @type {string} */ link, /** @type {any} */ client, /** @type {() => void} */ closeClient) {
  const entry = { link, started: false, events: 0, points: 0, errors: /** @type {string[]} */ ([]), hist: createHistogram(), stop: () => {} };
  const sub = client.metrics.live.subscribe({ series: ["bench.*"] }, {
    onStarted: () => (entry.started = true),
    onData: (/** @type {any} */ tracked) => {
      // tracked() events arrive as { id, data: LiveEvent } through both links.
      const event = tracked?.data;
      if (event?.type !== "points") return;
      entry.started = true;
      entry.events += 1;
      entry.points += event.points.length;
      const now = Date.now();
      for (const point of event.points) entry.hist.record(now - point.ts);
    },
    onError: (/** @type {Error} */ error) => entry.errors.length < 3 && entry.errors.push(error.message),
  });
  entry.stop = () => {
    sub.unsubscribe();
    closeClient();
  };
  clients.push(entry);
}

serveWorker(
  {
    async open({ url, wsClients, sseClients, timeoutMs }) {
      const wsUrl = new URL("/trpc", url);
      wsUrl.protocol = "ws:";
      for (let i = 0; i < wsClients; i += 1) {
        const wsClient = createWSClient({ url: wsUrl.toString(), WebSocket: /** @type {any} */ (WebSocket),
          ...(READ_TOKEN ? { connectionParams: () => ({ token: READ_TOKEN }) } : {}) });
        subscribe("wsLink", createTRPCClient({ links: [wsLink({ client: wsClient })] }), () => wsClient.close());
      }
      for (let i = 0; i < sseClients; i += 1) {
        // The `eventsource` package lets Node add a header through its fetch option; browsers would use a ticket.
        const eventSourceOptions = READ_TOKEN ? { fetch: (/** @type {any} */ input, /** @type {any} */ init) =>
          fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${READ_TOKEN}` } }) } : undefined;
        const client = createTRPCClient({ links: [httpSubscriptionLink({ url: new URL("/trpc", url).toString(), EventSource,
          ...(eventSourceOptions ? { eventSourceOptions } : {}) })] });
        subscribe("httpSubscriptionLink", client, () => {});
      }
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && clients.some((c) => !c.started)) await new Promise((r) => setTimeout(r, 50));
      return { started: clients.filter((c) => c.started).length, total: clients.length };
    },
    reset() {
      for (const c of clients) {
        c.events = 0;
        c.points = 0;
        c.hist.reset();
      }
    },
    report() {
      const byLink = {};
      for (const link of ["wsLink", "httpSubscriptionLink"]) {
        const group = clients.filter((c) => c.link === link);
        const hist = mergeSparse(group.map((c) => c.hist.toSparse()));
        byLink[link] = { clients: group.length, receiving: group.filter((c) => c.events > 0).length,
          points: group.reduce((sum, c) => sum + c.points, 0), p50Ms: hist.quantile(0.5), p99Ms: hist.quantile(0.99),
          errors: group.flatMap((c) => c.errors).slice(0, 3) };
      }
      return byLink;
    },
    close() {
      for (const c of clients) c.stop();
      clients.length = 0;
    },
  },
  () => {
    for (const c of clients) c.stop();
  },
);
