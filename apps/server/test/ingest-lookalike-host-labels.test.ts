import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

async function post(url: string, body: unknown): Promise<{ status: number; message?: string }> {
  const res = await fetch(`${url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as { error?: { message: string } };
  return { status: res.status, message: json.error?.message };
}

/**
 * Attack review (F4): the zero-width/bidi list let soft hyphens, word joiners, tag characters, Hangul
 * fillers and trailing whitespace through, and the fleet view showed each of these hosts as `web1` in
 * Chromium; and it refused real names (Persian with ZWNJ, Hindi with ZWJ after a virama, Hebrew with RLM).
 */
describe("host values that rendered as web1 made second web1 hosts in the fleet view", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ["web1 ", "host label value must not begin or end with whitespace: U+0020 at index 4"],
    ["web1\n", "host label value must not begin or end with whitespace: U+000A at index 4"],
    ["web1\u00a0", "host label value must not begin or end with whitespace: U+00A0 at index 4"],
    ["web\u00ad1", "U+00AD at index 3"],
    ["web\u20601", "U+2060 at index 3"],
    ["web\u061c1", "U+061C at index 3"],
    ["web\u{e0020}1", "U+E0020 at index 3"],
    ["web1\u3164", "U+3164 at index 4"],
  ])("JSON ingest of host %j: 400 naming points[1].labels.host, the character and its index", async (host, tail) => {
    const { status, message } = await post(server.url, { points: [{ series: "host.load.1m", labels: { host: "web1" }, value: 1 }, { series: "host.load.1m", labels: { host }, value: 1 }] });
    expect(status).toBe(400);
    expect(message).toMatch(/^points\[1\]\.labels\.host: /);
    expect(message!.endsWith(tail)).toBe(true);
  });

  it("line protocol: a trailing tag space (escaped) and a soft hyphen are refused naming the line and tag", async () => {
    const res = await fetch(`${server.url}/api/write`, { method: "POST", body: "host.load,host=web1\\  1m=1\n" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("line 1: tag 'host': host label value must not begin or end with whitespace: U+0020 at index 4");
    const soft = await fetch(`${server.url}/api/write`, { method: "POST", body: "host.load,host=web\u00ad1 1m=1\n" });
    expect(soft.status).toBe(400);
    expect(((await soft.json()) as { error: { message: string } }).error.message).toMatch(/^line 1: tag 'host': label value must not contain invisible .*: U\+00AD at index 3$/);
  });

  it("X-Livedash-Host with a trailing space is refused like the label", async () => {
    const res = await fetch(`${server.url}/api/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-livedash-host": encodeURIComponent("web1 ") },
      body: JSON.stringify({ points: [{ series: "m", value: 1 }] }),
    });
    expect(res.status).toBe(400);
  });

  it("Persian with ZWNJ, Hindi with ZWJ after a virama and Hebrew with RLM are accepted; the fleet view lists only real hosts", async () => {
    const names = ["\u0645\u06cc\u200c\u0634\u0648\u062f", "\u0915\u094d\u200d\u0937", "\u05e9\u05e8\u05ea \u05d0.\u200f"];
    const { status } = await post(server.url, { points: names.map((host) => ({ series: "host.load.1m", labels: { host }, value: 1 })) });
    expect(status).toBe(200);
    expect(server.services.hosts.list().hosts.map((h) => h.host).sort()).toEqual([...names].sort());
  });
});
