import { afterEach, describe, expect, it, vi } from "vitest";
import { createLivedashClient } from "../src/node";
import type { TicketGrant } from "../src/index";
import { startCounter } from "./helpers/counter";
import { startProxy } from "./helpers/proxy";
import { Recorder } from "./helpers/recorder";
import { startTestServer } from "./helpers/server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const READ = "read-token-0123456789abcdef";
const SERIES = "test.tickets";
const FAST = { wsOpenTimeoutMs: 2_000, sseFirstEventTimeoutMs: 2_000, pollWaitMs: 500, backoffBaseMs: 50, maxBackoffMs: 400 };
/** Server tickets live this long here (60 s in production), so several expire during one test. */
const TICKET_TTL_MS = 1_500;

/** What the dashboard's /api/auth/ticket does: the holder of the read token mints a ticket for a client that has none. */
function ticketMinter(serverUrl: string, overstateMs = 0) {
  const issued: string[] = [];
  let failing = false;
  const provider = async (): Promise<TicketGrant> => {
    if (failing) throw new Error("ticket route down");
    const res = await fetch(`${serverUrl}/trpc/auth.ticket`, {
      method: "POST",
      headers: { authorization: `Bearer ${READ}`, "content-type": "application/json" },
      body: "null",
    });
    const body = (await res.json()) as { result: { data: { ticket: string; expiresAt: number } } };
    issued.push(body.result.data.ticket);
    return { ticket: body.result.data.ticket, expiresInMs: body.result.data.expiresAt - Date.now() + overstateMs };
  };
  return { provider, issued, setFailing: (value: boolean) => (failing = value) };
}

/** A ticket-only client live on `SERIES` through `url`, with a counter writing to the server at 10/s. */
async function liveWithTickets(url: string, serverUrl: string, transport: "ws" | "sse" | "poll", options: { overstateMs?: number; maxRetryMs?: number } = {}) {
  const minter = ticketMinter(serverUrl, options.overstateMs);
  const ticketCache = { refreshMarginMs: 500, minRefreshMs: 100, ...(options.maxRetryMs === undefined ? {} : { maxRetryMs: options.maxRetryMs }) };
  const client = createLivedashClient({ url, transport, ticket: minter.provider, ticketCache, ladder: FAST });
  cleanups.push(() => client.close());
  const rec = new Recorder();
  const errors: unknown[] = [];
  const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData, onError: (e) => errors.push(e) });
  cleanups.push(() => sub.unsubscribe());
  await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
  const counter = startCounter(() => serverUrl, SERIES, 10);
  cleanups.push(() => counter.stop());
  return { minter, client, rec, errors, counter };
}

/** Stops the counter; every point it wrote arrived exactly once, in order, with no reset, error or ladder step. */
async function expectEveryPointOnce({ client, rec, errors, counter }: Awaited<ReturnType<typeof liveWithTickets>>, transport: string) {
  await counter.stop();
  await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });
  expect(rec.check(SERIES).problems).toEqual([]);
  expect(rec.resets()).toBe(0);
  expect(rec.values(SERIES)[0]).toBe(1);
  expect(errors).toEqual([]);
  expect(client.connection.get().transport).toBe(transport);
}

describe.each(["ws", "sse", "poll"] as const)("short-lived tickets over %s", (transport) => {
  it("renews tickets before they expire and resumes across reconnects that need a new one: nothing missing, nothing twice", async () => {
    // Only a read token: reads need a ticket, the counter's ingest stays open on loopback.
    const server = await startTestServer({ LIVEDASH_READ_TOKEN: READ }, { tickets: { ttlMs: TICKET_TTL_MS } });
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    const live = await liveWithTickets(proxy.url, server.url, transport);
    const { minter, client, rec } = live;
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(20), { timeout: 10_000 });

    for (let round = 1; round <= 3; round++) {
      // Past the current ticket's life on the server, so a reconnect with it would be refused.
      const minted = minter.issued.length;
      await vi.waitFor(() => expect(minter.issued.length).toBeGreaterThanOrEqual(minted + 2), { timeout: 10_000 });
      proxy.dropConnections();
      await vi.waitFor(() => expect(client.connection.get().reconnects).toBeGreaterThanOrEqual(round), { timeout: 10_000 });
      await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
      const seen = rec.values(SERIES).length;
      await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(seen + 10), { timeout: 10_000 });
    }
    // Queries carry a ticket as Authorization: Bearer.
    expect((await client.trpc.metrics.catalog.query()).map((s) => s.name)).toContain(SERIES);
    await expectEveryPointOnce(live, transport);
  });

  it("a ticket provider that fails for a while keeps the transport and recovers, resuming where it was", async () => {
    const server = await startTestServer({ LIVEDASH_READ_TOKEN: READ }, { tickets: { ttlMs: TICKET_TTL_MS } });
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    const minter = ticketMinter(server.url);
    const client = createLivedashClient({ url: proxy.url, transport, ticket: minter.provider, ticketCache: { refreshMarginMs: 500, minRefreshMs: 100, maxRetryMs: 300 }, ladder: FAST });
    cleanups.push(() => client.close());
    const rec = new Recorder();
    const sub = client.trpc.metrics.live.subscribe({ series: [SERIES] }, { onData: rec.onData });
    cleanups.push(() => sub.unsubscribe());
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    const counter = startCounter(() => server.url, SERIES, 10);
    cleanups.push(() => counter.stop());
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(10), { timeout: 10_000 });
    minter.setFailing(true);
    // Wait until the server refuses the last good ticket, then cut: reconnects fail until the provider works again.
    const last = minter.issued.at(-1)!;
    await vi.waitFor(
      async () => expect((await fetch(`${server.url}/trpc/metrics.catalog`, { headers: { authorization: `Bearer ${last}` } })).status).toBe(401),
      { timeout: 10_000, interval: 100 },
    );
    proxy.dropConnections();
    await vi.waitFor(() => expect(client.connection.get().status).not.toBe("live"), { timeout: 10_000 });
    minter.setFailing(false);
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 15_000 });
    await counter.stop();
    await vi.waitFor(() => expect(rec.values(SERIES).at(-1)).toBe(counter.acked()), { timeout: 10_000 });
    expect(rec.check(SERIES).problems).toEqual([]);
    // A missing ticket is not a blocked transport: the client never stepped down the ladder.
    expect(client.connection.get().transport).toBe(transport);
  });

  it("a ticket the server refuses before the client expected (minter and server clocks apart) is renewed, not a failed subscription", async () => {
    const server = await startTestServer({ LIVEDASH_READ_TOKEN: READ }, { tickets: { ttlMs: TICKET_TTL_MS } });
    cleanups.push(() => server.close());
    const proxy = await startProxy(server.url, "pass");
    cleanups.push(() => proxy.close());
    // The grant claims a minute more than the server gives, so the client's cache holds a ticket the server already refuses.
    const live = await liveWithTickets(proxy.url, server.url, transport, { overstateMs: 60_000, maxRetryMs: 300 });
    const { minter, client, rec } = live;
    for (let round = 1; round <= 2; round++) {
      // Past the ticket's life on the server; a reconnect (and every poll) now meets a refused ticket.
      const first = minter.issued.at(-1)!;
      await vi.waitFor(
        async () => expect((await fetch(`${server.url}/trpc/metrics.catalog`, { headers: { authorization: `Bearer ${first}` } })).status).toBe(401),
        { timeout: 10_000, interval: 100 },
      );
      proxy.dropConnections();
      await vi.waitFor(() => expect(minter.issued.at(-1)).not.toBe(first), { timeout: 10_000 });
      await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
      const seen = rec.values(SERIES).length;
      await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(seen + 5), { timeout: 10_000 });
    }
    await expectEveryPointOnce(live, transport);
  });
});

describe.each(["ws", "sse"] as const)("streams that outlive their ticket over %s", (transport) => {
  it("the server ends the stream at each ticket expiry; the client reconnects on the same transport with a new ticket: every point exactly once", async () => {
    const server = await startTestServer({ LIVEDASH_READ_TOKEN: READ }, { tickets: { ttlMs: TICKET_TTL_MS } });
    cleanups.push(() => server.close());
    const live = await liveWithTickets(server.url, server.url, transport);
    const { client, rec } = live;
    // No connection is dropped by the test: each reconnect is the server ending a stream whose ticket expired.
    await vi.waitFor(() => expect(client.connection.get().reconnects).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
    await vi.waitFor(() => expect(client.connection.get().status).toBe("live"), { timeout: 10_000 });
    const seen = rec.values(SERIES).length;
    await vi.waitFor(() => expect(rec.values(SERIES).length).toBeGreaterThanOrEqual(seen + 10), { timeout: 10_000 });
    await expectEveryPointOnce(live, transport);
  });
});
