import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { frameText } from "../src/live/ws-frame";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

describe("frameText", () => {
  it.each([
    [0, 2],
    [125, 2],
    [126, 4],
    [65_535, 4],
    [65_536, 10],
    [200_000, 10],
  ])("frames a %i-byte payload with a %i-byte header", (size, header) => {
    const frame = frameText(Buffer.alloc(size, 0x61));
    expect(frame.length).toBe(size + header);
    expect(frame[0]).toBe(0x81);
    const encoded = header === 2 ? frame[1] : header === 4 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
    expect(encoded).toBe(size);
  });
});

describe("pre-framed WebSocket messages", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("reach a real ws client intact in all three length encodings", async () => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/trpc`);
    const sizes: number[] = [];
    ws.on("message", (raw) => {
      const msg = JSON.parse(raw.toString()) as { result?: { type: string; data?: { data: { points: unknown[] } } } };
      if (msg.result?.type === "data") sizes.push(msg.result.data!.data.points.length);
    });
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ id: "a", method: "subscription", params: { path: "metrics.live", input: { series: ["f.*"] } } }));
    await vi.waitFor(() => expect(server.services.hub.stats().subscriptions).toBe(1));
    for (const count of [1, 300, 3000]) {
      await server.services.engine.publish(Array.from({ length: count }, (_, i) => ({ series: `f.s${i % 50}`, ts: i, value: i })));
    }
    await vi.waitFor(() => expect(sizes).toEqual([1, 300, 3000]));
    ws.close();
  });
});
