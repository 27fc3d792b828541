import { LIMIT_DEFAULTS, WS_CLOSE } from "@livedash/events";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { LivedashServer } from "../../src/server";
import { startTestServer } from "../helpers/server";
import { clientFrame, closeCodeOf, rawUpgrade, serverFrameReader } from "./helpers/raw-ws";

const WAIT = { timeout: 10_000, interval: 20 };
const DEFAULT_MAX_PAYLOAD = LIMIT_DEFAULTS.maxWsMessageBytes;
const TOO_BIG = WS_CLOSE.messageTooBig;

/** Opens a real ws client; resolves with it once open, plus a promise of its close code. */
async function openClient(server: LivedashServer) {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/trpc`, { perMessageDeflate: false });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  ws.on("error", () => undefined);
  await new Promise((resolve) => ws.once("open", resolve));
  return { ws, closed };
}

/** Reads a raw peer's frames until the server's close frame; resolves with its code. */
function closeCodeFromRaw(peer: Awaited<ReturnType<typeof rawUpgrade>>) {
  return new Promise<number>((resolve, reject) => {
    const read = serverFrameReader((frame) => frame.opcode === 8 && resolve(closeCodeOf(frame.payload)));
    peer.socket.on("data", read);
    if (peer.rest.length > 0) read(peer.rest);
    peer.socket.once("close", () => reject(new Error("socket closed without a close frame")));
  });
}

describe("oversized WebSocket frames", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("a message of maxPayload + 1 bytes closes that connection with 1009 and frees it; a neighbour is untouched", async () => {
    const neighbour = await openClient(server);
    const victim = await openClient(server);
    victim.ws.send("x".repeat(DEFAULT_MAX_PAYLOAD + 1));
    expect(await victim.closed).toBe(TOO_BIG);
    await vi.waitFor(() => expect(server.services.traffic.ws).toBe(1), WAIT);
    const pong = new Promise((resolve) => neighbour.ws.once("message", (m) => resolve(m.toString())));
    neighbour.ws.send("PING");
    expect(await pong).toBe("PONG");
    neighbour.ws.close();
    await neighbour.closed;
  });

  it("a frame header announcing 2^53-1 bytes gets 1009 at once: the server never waits for (or buffers) the payload", async () => {
    const peer = await rawUpgrade(server.url);
    const code = closeCodeFromRaw(peer);
    peer.socket.write(clientFrame({ opcode: 1, payload: Buffer.from("{}"), declaredLength: 2 ** 53 - 1 }));
    expect(await code).toBe(TOO_BIG);
    peer.socket.destroy();
  });

  it("fragments each under the limit but over it together get 1009", async () => {
    const peer = await rawUpgrade(server.url);
    const code = closeCodeFromRaw(peer);
    const half = Buffer.alloc(DEFAULT_MAX_PAYLOAD / 2 + 1, 0x61);
    peer.socket.write(clientFrame({ opcode: 1, payload: half, fin: false }));
    peer.socket.write(clientFrame({ opcode: 0, payload: half }));
    expect(await code).toBe(TOO_BIG);
    peer.socket.destroy();
  });

  it("the limit is configurable (maxPayloadBytes) and exact: at the limit a message is read, one byte over it closes 1009", async () => {
    const small = await startTestServer({}, { ws: { maxPayloadBytes: 4_096 } });
    try {
      const atLimit = await openClient(small);
      const answer = new Promise<string>((resolve) => atLimit.ws.once("message", (m) => resolve(m.toString())));
      atLimit.ws.send("y".repeat(4_096));
      // Read and answered as what it is: not JSON.
      expect(JSON.parse(await answer)).toMatchObject({ id: null, error: { data: { code: "PARSE_ERROR" } } });
      atLimit.ws.close();
      await atLimit.closed;

      const over = await openClient(small);
      over.ws.send("y".repeat(4_097));
      expect(await over.closed).toBe(TOO_BIG);
      await vi.waitFor(() => expect(small.services.traffic.ws).toBe(0), WAIT);
    } finally {
      await small.close();
    }
  });
});
