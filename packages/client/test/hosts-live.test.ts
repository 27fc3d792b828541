import type { HostsEvent } from "@livedash/events";
import { freePort } from "@livedash/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLivedashClient } from "../src/node";
import { ingest, startTestServer } from "@livedash/server/testing";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WAIT = { timeout: 10_000, interval: 20 };
const READ = "read-token-0123456789";
const INGEST = "ingest-token-0123456789";

/** The fleet view's subscription through the client's ladder, pinned to each transport, with tokens on. */
describe.each(["ws", "sse", "poll"] as const)("hosts.live pinned to %s", (transport) => {
  it("gets the fleet at once, then each host that appears", async () => {
    const server = await startTestServer(
      { LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST },
      { hosts: { publishIntervalMs: 50, stateDelayMs: 0 } },
    );
    cleanups.push(() => server.close());
    const auth = { authorization: `Bearer ${INGEST}` };
    expect((await ingest(server.url, [{ series: 'host.load.1m{host="one"}', value: 1 }], auth)).status).toBe(200);
    // SSE trades the read token for a ticket; WebSocket sends it in connectionParams; poll as a header.
    const client = createLivedashClient({ url: server.url, transport, token: READ, ladder: { pollWaitMs: 1000 } });
    cleanups.push(() => client.close());
    const events: { id: string; data: HostsEvent }[] = [];
    const errors: unknown[] = [];
    const sub = client.trpc.hosts.live.subscribe({}, { onData: (e) => events.push(e), onError: (e) => errors.push(e) });
    cleanups.push(() => sub.unsubscribe());
    const hostsNow = () => events.at(-1)?.data.hosts.map((h) => h.host);
    await vi.waitFor(() => expect(hostsNow()).toEqual(["one"]), WAIT);
    expect((await ingest(server.url, [{ series: 'host.load.1m{host="two"}', value: 2 }], auth)).status).toBe(200);
    await vi.waitFor(() => expect(hostsNow()).toEqual(["one", "two"]), WAIT);
    expect(events.at(-1)!.data.hosts[1]).toMatchObject({ host: "two", state: "up", load1: 2 });
    expect(client.connection.get().transport).toBe(transport);
    expect(errors).toEqual([]);
  });
});

/** A server shutdown ends hosts.live on the server, but must never end the client's subscription. */
describe.each(["ws", "sse", "poll"] as const)("hosts.live across a server restart, pinned to %s", (transport) => {
  it("keeps the subscription: the restarted server's fleet arrives", async () => {
    const env = { PORT: String(await freePort()) };
    const options = { hosts: { publishIntervalMs: 50, stateDelayMs: 0 } };
    let server = await startTestServer(env, options);
    cleanups.push(() => server.close());
    expect((await ingest(server.url, [{ series: 'host.load.1m{host="before"}', value: 1 }])).status).toBe(200);
    const client = createLivedashClient({ url: server.url, transport, ladder: { pollWaitMs: 1000 } });
    cleanups.push(() => client.close());
    const events: { id: string; data: HostsEvent }[] = [];
    let completed = false;
    const sub = client.trpc.hosts.live.subscribe({}, { onData: (e) => events.push(e), onComplete: () => (completed = true) });
    cleanups.push(() => sub.unsubscribe());
    const hostsNow = () => events.at(-1)?.data.hosts.map((h) => h.host);
    await vi.waitFor(() => expect(hostsNow()).toEqual(["before"]), WAIT);
    await server.close();
    server = await startTestServer(env, options);
    // In process: fetch's pool may still hold a socket to the old server on this port.
    await server.services.ingest.accept({ points: [{ series: 'host.load.1m{host="after"}', value: 2 }] }, "test");
    await vi.waitFor(() => expect(hostsNow()).toEqual(["after"]), { timeout: 20_000, interval: 50 });
    expect(completed).toBe(false);
  });
});
