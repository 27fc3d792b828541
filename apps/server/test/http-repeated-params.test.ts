import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

let server: LivedashServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function refusal(path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, text };
}

const history = encodeURIComponent(JSON.stringify({ series: ["a"] }));
const other = encodeURIComponent(JSON.stringify({ series: ["b"] }));

/**
 * URLSearchParams.get() answers the first of a repeated parameter: `/sse?aggregate=sum&aggregate=max`
 * silently ran a sum. A single-valued parameter given twice is now a 400 naming it, on every route
 * that reads the query.
 */
describe("repeated single-valued query params silently took the first", () => {
  it("/sse: aggregate, by, series, lastEventId, ticket twice are 400 naming the param", async () => {
    for (const [query, field] of [
      ["series=a.*&aggregate=sum&aggregate=max", "aggregate"],
      ["series=a.*&aggregate=sum&by=host&by=cpu", "by"],
      ["series=a.*&series=b.*", "series"],
      ["series=a.*&lastEventId=1&lastEventId=2", "lastEventId"],
      ["series=a.*&ticket=x&ticket=y", "ticket"],
    ] as const) {
      const res = await fetch(`${server.url}/sse?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { message: string; field: string } };
      expect(body.error.field).toBe(field);
      expect(body.error.message).toMatch(new RegExp(`^${field}: given 2 times`));
    }
  });

  it("/api/annotations: from, to and limit twice are 400 naming the param", async () => {
    for (const field of ["from", "to", "limit"]) {
      const { status, text } = await refusal(`/api/annotations?${field}=1&${field}=2`);
      expect(status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: { field, message: expect.stringMatching(new RegExp(`^${field}: given 2 times`)) } });
    }
  });

  it("/api/write: precision twice is 400", async () => {
    const { status, text } = await refusal("/api/write?precision=s&precision=ns", { method: "POST", body: "m v=1" });
    expect(status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { field: "precision", message: expect.stringMatching(/^precision: given 2 times/) } });
  });

  it("tRPC over HTTP (history, poll, the SSE subscription): input twice is 400 naming input", async () => {
    for (const path of [`/trpc/metrics.history?input=${history}&input=${other}`, `/trpc/metrics.poll?input=${history}&input=${other}`, `/trpc/metrics.history?batch=1&batch=0&input=${history}`]) {
      const { status, text } = await refusal(path);
      expect(status, path).toBe(400);
      expect(text).toMatch(/"(input|batch): given 2 times/);
    }
    const sse = await refusal(`/trpc/metrics.live?input=${history}&input=${other}`, { headers: { accept: "text/event-stream" } });
    expect(sse.status).toBe(400);
    expect(sse.text).toMatch(/input: given 2 times/);
  });

  it("WebSocket upgrade: connectionParams twice is refused with 400 before the handshake", async () => {
    const { port } = new URL(server.url);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/trpc?connectionParams=1&connectionParams=0", headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString())).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("upgrade", () => reject(new Error("upgraded")));
      req.on("error", reject);
      req.end();
    });
    expect(status.status).toBe(400);
    expect(status.body).toMatch(/connectionParams: given 2 times/);
  });
});
