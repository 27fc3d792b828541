import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AppRouter } from "@livedash/api";
import type { LivedashServer } from "../src/server";
import { httpClient } from "./helpers/live-clients";
import { startTestServer } from "./helpers/server";

const READ = "read-token-0123456789";
const INGEST = "ingest-token-0123456789";

describe("tickets only read and subscribe", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
  });
  afterAll(async () => {
    await server.close();
  });
  const issue = () => httpClient(server.url, { authorization: `Bearer ${READ}` }).auth.ticket.mutate();

  it("a ticket cannot mint a ticket over HTTP (a leaked ticket would live forever)", async () => {
    const { ticket } = await issue();
    const params = encodeURIComponent(JSON.stringify({ ticket }));
    const res = await fetch(`${server.url}/trpc/auth.ticket?connectionParams=${params}`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { message: string; data: { code: string } } };
    expect(body.error.data.code).toBe("FORBIDDEN");
    expect(body.error.message).toMatch(/auth\.ticket needs the read token; a ticket cannot issue tickets/);
    // The ticket still does what it is for: read.
    const read = await fetch(`${server.url}/trpc/metrics.catalog?connectionParams=${params}`);
    expect(read.status).toBe(200);
  });

  it("a ticket cannot mint a ticket over WebSocket connectionParams either", async () => {
    const { ticket } = await issue();
    const wsClient = createWSClient({ url: `${server.url.replace("http", "ws")}/trpc`, WebSocket: WebSocket as never, connectionParams: () => ({ ticket }) });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      await expect(client.auth.ticket.mutate()).rejects.toThrow(/a ticket cannot issue tickets/);
      await expect(client.metrics.catalog.query()).resolves.toBeInstanceOf(Array);
    } finally {
      await wsClient.close();
    }
  });

  it("the read token still issues tickets", async () => {
    const { ticket, expiresAt } = await issue();
    expect(ticket.length).toBeGreaterThan(20);
    expect(expiresAt).toBeGreaterThan(Date.now());
  });

  it("a ticket as Authorization: Bearer reads (the dashboard's poll and queries) but cannot ingest or mint tickets", async () => {
    const { ticket } = await issue();
    const bearer = { authorization: `Bearer ${ticket}` };
    const read = await fetch(`${server.url}/trpc/metrics.catalog`, { headers: bearer });
    expect(read.status).toBe(200);
    const poll = await fetch(`${server.url}/trpc/metrics.poll?input=${encodeURIComponent(JSON.stringify({ series: ["x.*"], waitMs: 0 }))}`, { headers: bearer });
    expect(poll.status).toBe(200);
    const mint = await fetch(`${server.url}/trpc/auth.ticket`, { method: "POST", headers: { ...bearer, "content-type": "application/json" } });
    expect(mint.status).toBe(403);
    const write = await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { ...bearer, "content-type": "application/json" },
      body: JSON.stringify({ points: [{ series: "x.y", value: 1 }] }),
    });
    expect(write.status).toBe(401);
    // A made-up or tampered ticket reads nothing.
    const forged = await fetch(`${server.url}/trpc/metrics.catalog`, { headers: { authorization: `Bearer ${ticket.slice(0, -1)}${ticket.endsWith("A") ? "B" : "A"}` } });
    expect(forged.status).toBe(401);
  });
});
