import { request } from "node:http";
import type { IncomingMessage } from "node:http";
import type { Aggregate } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { ingest, startTestServer } from "./helpers/server";

const INGEST_TOKEN = "aggregate-address-ingest-token-0123";
const BEARER = { authorization: `Bearer ${INGEST_TOKEN}` };
const WAIT = { timeout: 10_000, interval: 20 };
const PER_ADDRESS = /aggregate: one address may hold at most 1 aggregations \(LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS\)/;
const by = (label: string): Aggregate => ({ op: "sum", by: [label] });

/** A GET from `localAddress` (loopback has all of 127/8): the server sees that socket address. */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers }, resolve);
    req.on("error", reject);
    req.end();
  });
}

/** A tRPC SSE stream of `metrics.live` opened from `localAddress`, its text kept as it arrives. */
async function streamFrom(localAddress: string, baseUrl: string, input: object, headers: Record<string, string> = {}) {
  const url = `${baseUrl}/trpc/metrics.live?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await getFrom(localAddress, url, { accept: "text/event-stream", ...BEARER, ...headers });
  let text = "";
  let ended = false;
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => (text += chunk));
  res.on("end", () => (ended = true));
  return { text: () => text, ended: () => ended, close: () => res.destroy() };
}

async function pollFrom(localAddress: string, baseUrl: string, input: object) {
  const res = await getFrom(localAddress, `${baseUrl}/trpc/metrics.poll?input=${encodeURIComponent(JSON.stringify(input))}`, BEARER);
  let body = "";
  res.setEncoding("utf8");
  for await (const chunk of res) body += chunk as string;
  return { status: res.statusCode, body };
}

/**
 * Attack review of #12, L3: a request authenticated with the ingest token got the key `token:ingest`
 * for its live caps too, so every holder of that token, from any machine, shared one address's
 * aggregation slots. The per-address key comes from the socket address (never X-Forwarded-For).
 */
describe("ingest-token subscribers on different socket addresses shared one per-address aggregation slot", () => {
  let server: LivedashServer;
  const opened: { close(): void }[] = [];
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_INGEST_TOKEN: INGEST_TOKEN, LIVEDASH_MAX_AGGREGATE_GROUPS_PER_ADDRESS: "1" });
  });
  afterAll(async () => {
    for (const stream of opened) stream.close();
    await server.close();
  });

  it("a token holder on 127.0.0.2 gets its own slot while one on 127.0.0.1 holds that address's only one; the address itself stays limited", async () => {
    const first = await streamFrom("127.0.0.1", server.url, { series: ["tok.cpu"], aggregate: by("a") });
    opened.push(first);
    await vi.waitFor(() => expect(server.services.hub.stats().aggregateGroups).toBe(1), WAIT);

    // Another machine with the same token, and X-Forwarded-For naming the first one: its socket counts.
    const second = await streamFrom("127.0.0.2", server.url, { series: ["tok.cpu"], aggregate: by("b") }, { "x-forwarded-for": "127.0.0.1" });
    opened.push(second);
    const t = Date.now();
    expect((await ingest(server.url, [{ series: "tok.cpu", labels: { a: "x", b: "y" }, ts: t, value: 2 } as never], BEARER)).status).toBe(200);
    await vi.waitFor(() => {
      expect(second.text()).not.toContain("TOO_MANY_REQUESTS");
      expect(second.text()).toContain('"series":"tok.cpu{b=\\"y\\"}"');
      expect(first.text()).toContain('"series":"tok.cpu{a=\\"x\\"}"');
    }, WAIT);
    expect(second.ended()).toBe(false);

    const third = await pollFrom("127.0.0.3", server.url, { series: ["tok.cpu"], aggregate: by("cpu"), waitMs: 0 });
    expect(third.status).toBe(200);

    // The limit still holds per address: a second aggregation from 127.0.0.1, token or not.
    const again = await pollFrom("127.0.0.1", server.url, { series: ["tok.cpu"], aggregate: by("c"), waitMs: 0 });
    expect(again.status).toBe(429);
    expect(again.body).toMatch(PER_ADDRESS);
  });
});
