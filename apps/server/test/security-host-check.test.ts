import { request } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const READ = "read-token-0123456789";
const INGEST = "ingest-token-0123456789";

/** fetch() cannot set Host; a raw request can, as a browser does for a DNS-rebound name. */
function get(url: string, host: string, path = "/healthz"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { headers: { host } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function upgrade(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/trpc`, {
      headers: { host, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
    });
    req.on("upgrade", (res, socket) => (socket.destroy(), resolve({ status: res.statusCode!, body: "" })));
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The status line's code of a raw upgrade request, Host header left out when `host` is null. */
function rawUpgradeStatus(url: string, host: string | null): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let head = "";
    socket.on("data", (d: Buffer) => {
      head += d.toString();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on("error", reject);
    socket.setTimeout(10_000, () => (socket.destroy(), reject(new Error("no answer to the upgrade"))));
    const hostLine = host === null ? "" : `Host: ${host}\r\n`;
    socket.write(`GET /trpc HTTP/1.1\r\n${hostLine}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  });
}

describe("Host allow-list against DNS rebinding", () => {
  let server: LivedashServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("an open loopback server refuses a foreign Host on HTTP and on the WebSocket upgrade (DNS rebinding)", async () => {
    server = await startTestServer();
    const port = server.port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`, "LOCALHOST"]) {
      expect((await get(server.url, host)).status, host).toBe(200);
    }
    const refused = await get(server.url, `attacker.example:${port}`, "/trpc/metrics.catalog");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({
      error: {
        field: "host",
        message: expect.stringMatching(/^host 'attacker\.example' is not allowed \(LIVEDASH_ALLOWED_HOSTS: localhost, \.localhost, 127\.0\.0\.1, \[::1\]\)/),
      },
    });
    expect((await get(server.url, "localhost.attacker.example")).status).toBe(403);
    expect((await upgrade(server.url, `attacker.example:${port}`)).status).toBe(403);
    expect((await upgrade(server.url, `localhost:${port}`)).status).toBe(101);
  });

  it("a WebSocket upgrade without a Host header is refused while the allow-list is on", async () => {
    server = await startTestServer();
    expect(await rawUpgradeStatus(server.url, null)).toBe(400);
    expect(await rawUpgradeStatus(server.url, `localhost:${server.port}`)).toBe(101);
  });

  it("a Host of a bracketed loopback address followed by a foreign name ([::1]evil.example) is refused", async () => {
    server = await startTestServer();
    for (const host of ["[::1]evil.example", "[::1].evil.example:80", "[::1]:80x", "localhost:80:90", "localhost:x"]) {
      expect((await get(server.url, host)).status, host).toBe(403);
      expect(await rawUpgradeStatus(server.url, host), host).toBe(403);
    }
    expect((await get(server.url, "[::1]:80")).status).toBe(200);
    expect((await get(server.url, "[::1]")).status).toBe(200);
  });

  it("takes the names in LIVEDASH_ALLOWED_HOSTS (a leading dot allows subdomains), and * turns the check off", async () => {
    server = await startTestServer({ LIVEDASH_ALLOWED_HOSTS: "dash.example.com, .corp.example" });
    expect((await get(server.url, "dash.example.com")).status).toBe(200);
    expect((await get(server.url, "a.b.corp.example:8080")).status).toBe(200);
    expect((await get(server.url, "corp.example")).status).toBe(200);
    expect((await get(server.url, "localhost")).status).toBe(403);
    await server.close();
    server = await startTestServer({ LIVEDASH_ALLOWED_HOSTS: "*" });
    expect((await get(server.url, "anything.example")).status).toBe(200);
  });

  it("is not needed when both tokens are set (a rebinding page has no token)", async () => {
    server = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
    expect((await get(server.url, "attacker.example")).status).toBe(200);
    expect((await get(server.url, "attacker.example", "/trpc/metrics.catalog")).status).toBe(401);
  });

  it.each(["http://dash.example.com", "dash example", "a/b", "*.", "dash.example.com:4000"])("rejects the entry %j naming LIVEDASH_ALLOWED_HOSTS", (entry) => {
    expect(() => parseConfig({ LIVEDASH_ALLOWED_HOSTS: `localhost,${entry},` })).toThrow(ConfigError);
    expect(() => parseConfig({ LIVEDASH_ALLOWED_HOSTS: `localhost,${entry},` })).toThrow(`LIVEDASH_ALLOWED_HOSTS: '${entry}' is not a host name`);
  });
});
