import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { WS_CLOSE } from "@livedash/events";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import { ingest, startTestServer } from "./helpers/server";

const READ = "read-token-0123456789";
const SERIES = "test.ticket_expiry";
/** Server tickets live this long here (60 s in production), so a stream outlives one within the test. */
const TICKET_TTL_MS = 1_500;

/** An SSE response read to its end: resolves with everything it sent and when it ended. */
async function readToEnd(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  expect(res.status).toBe(200);
  const state = { text: "", endedAt: null as number | null };
  const done = (async () => {
    const decoder = new TextDecoder();
    try {
      const reader = res.body!.getReader();
      // Bounded by the stream: it ends at the ticket's expiry, or when the test aborts it.
      for (;;) {
        const { done: ended, value } = await reader.read();
        if (ended) break;
        state.text += decoder.decode(value, { stream: true });
      }
      state.endedAt = Date.now();
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return { state, done, cancel: async () => (controller.abort(), await done) };
}

/** A raw wsLink socket authenticated by connectionParams, subscribed to metrics.live. */
async function openWs(baseUrl: string, params: Record<string, string>) {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/trpc?connectionParams=1`);
  const messages: string[] = [];
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
  ws.on("message", (data) => messages.push((data as Buffer).toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ method: "connectionParams", data: params }));
  ws.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "metrics.live", input: { series: [SERIES] } } }));
  await vi.waitFor(() => expect(messages.some((m) => m.includes('"started"'))).toBe(true), { timeout: 10_000 });
  return { ws, messages, closed };
}

describe("a stream opened with a ticket ends when the ticket expires", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_READ_TOKEN: READ }, { tickets: { ttlMs: TICKET_TTL_MS } });
  });
  afterAll(async () => {
    await server.close();
  });
  const issue = () => httpClient(server.url, { authorization: `Bearer ${READ}` }).auth.ticket.mutate();

  it("/sse?ticket= ends at the ticket's expiry (a comment says why), not before", async () => {
    const { ticket, expiresAt } = await issue();
    const stream = await readToEnd(`${server.url}/sse?series=${SERIES}&ticket=${ticket}`);
    await stream.done;
    expect(stream.state.endedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(stream.state.text).toContain(": ticket expired; reconnect with a new ticket");
    // A new stream with the same ticket is refused.
    expect((await fetch(`${server.url}/sse?series=${SERIES}&ticket=${ticket}`)).status).toBe(401);
  });

  it("tRPC SSE (httpSubscriptionLink, connectionParams ticket) ends at the ticket's expiry", async () => {
    const { ticket, expiresAt } = await issue();
    const input = encodeURIComponent(JSON.stringify({ series: [SERIES] }));
    const params = encodeURIComponent(JSON.stringify({ ticket }));
    const stream = await readToEnd(`${server.url}/trpc/metrics.live?input=${input}&connectionParams=${params}`);
    await stream.done;
    expect(stream.state.text).toContain("event: connected");
    expect(stream.state.endedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(stream.state.text).toContain(": ticket expired; reconnect with a new ticket");
  });

  it("a WebSocket authenticated by a connectionParams ticket closes with 4401 at the ticket's expiry", async () => {
    const { ticket, expiresAt } = await issue();
    const { closed } = await openWs(server.url, { ticket });
    const close = await closed;
    expect(close.code).toBe(WS_CLOSE.ticketExpired);
    expect(close.reason).toBe("ticket expired; reconnect with a new ticket");
    expect(close.at).toBeGreaterThanOrEqual(expiresAt);
  });

  it("a WebSocket authenticated by a ticket as Authorization: Bearer closes at its expiry too", async () => {
    const { ticket } = await issue();
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/trpc`, { headers: { authorization: `Bearer ${ticket}` } });
    const close = await new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    expect(close).toBe(WS_CLOSE.ticketExpired);
  });

  it("streams opened with the read token itself outlive a ticket's life and keep streaming; closing them leaves no subscription", async () => {
    const token = await openWs(server.url, { token: READ });
    const sse = await readToEnd(`${server.url}/sse?series=${SERIES}`, { authorization: `Bearer ${READ}` });
    const input = encodeURIComponent(JSON.stringify({ series: [SERIES] }));
    const trpcSse = await readToEnd(`${server.url}/trpc/metrics.live?input=${input}`, { authorization: `Bearer ${READ}` });
    // A ticket socket opened after them: once it is closed for expiry, the token streams are older than a ticket's life.
    const { ticket } = await issue();
    const byTicket = await openWs(server.url, { ticket });
    expect((await byTicket.closed).code).toBe(WS_CLOSE.ticketExpired);

    expect(token.ws.readyState).toBe(WebSocket.OPEN);
    expect(sse.state.endedAt).toBeNull();
    expect(trpcSse.state.endedAt).toBeNull();
    expect((await ingest(server.url, [{ series: SERIES, value: 42 }])).status).toBe(200);
    await vi.waitFor(
      () => {
        expect(token.messages.some((m) => m.includes(SERIES) && m.includes("42"))).toBe(true);
        expect(sse.state.text).toContain(SERIES);
        expect(trpcSse.state.text).toContain(SERIES);
      },
      { timeout: 10_000 },
    );
    token.ws.close();
    await token.closed;
    await sse.cancel();
    await trpcSse.cancel();
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(0), { timeout: 10_000 });
  });
});
