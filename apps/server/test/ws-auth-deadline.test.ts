import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const READ_TOKEN = "read-token-0123456789abcdef";
const INGEST_TOKEN = "ingest-token-0123456789abcdef";
const DEADLINE_MS = 300;

function open(url: string, query = "", headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${url.replace("http", "ws")}/trpc${query}`, { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, closed, opened };
}

describe("WebSockets that never authenticate on a server with tokens", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_READ_TOKEN: READ_TOKEN, LIVEDASH_INGEST_TOKEN: INGEST_TOKEN }, { ws: { authTimeoutMs: DEADLINE_MS } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("are closed 1008 at the auth deadline, naming it, while authenticated sockets stay open", async () => {
    const authed = open(server.url, "?connectionParams=1");
    await authed.opened;
    authed.ws.send(JSON.stringify({ method: "connectionParams", data: { token: READ_TOKEN } }));
    const byHeader = open(server.url, "", { authorization: `Bearer ${READ_TOKEN}` });
    await byHeader.opened;
    const silent = open(server.url, "?connectionParams=1");
    const anonymous = open(server.url);
    await Promise.all([silent.opened, anonymous.opened]);

    const reason = `not authenticated within ${DEADLINE_MS} ms (send connectionParams with a token)`;
    expect(await silent.closed).toEqual({ code: 1008, reason });
    expect(await anonymous.closed).toEqual({ code: 1008, reason });

    // Both authenticated sockets were opened before and are past their deadline too: still served.
    for (const { ws } of [authed, byHeader]) {
      const pong = new Promise<string>((resolve) => ws.once("message", (d) => resolve(d.toString())));
      ws.send("PING");
      expect(await pong).toBe("PONG");
      ws.close();
    }
  });
});
