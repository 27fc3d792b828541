import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Point } from "@livedash/events";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentArgs } from "../../src/cli/agent/agent-args";
import { sendBatch } from "../../src/cli/agent/ingest-sender";
import { readTokenFile } from "../../src/cli/agent/token-file";
import { startTestServer } from "../helpers/server";

const points: Point[] = [{ series: "s", ts: 1, value: 1 }];
const servers: Server[] = [];

/** A fake server on 127.0.0.1 port 0 that records every request's method and URL. */
async function fake(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => handler(req, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const usage = (server: string): string => {
  try {
    parseAgentArgs(["--server", server], {});
  } catch (error) {
    return (error as Error).message;
  }
  return "accepted";
};

describe("agent --server and the ingest URL", () => {
  it("a --server with a query, fragment or credentials is refused naming --server, never printing the credentials", () => {
    expect(usage("http://h:4000/?x=1")).toMatch(/^--server .*query/);
    expect(usage("http://h:4000/?")).toMatch(/^--server .*query/);
    expect(usage("http://h:4000/#frag")).toMatch(/^--server .*fragment/);
    const creds = usage("http://alice:s3cret@h:4000");
    expect(creds).toMatch(/^--server .*user/);
    expect(creds).not.toContain("s3cret");
    expect(creds).not.toContain("alice");
    expect(usage("http://h:4000/base/")).toBe("accepted");
  });

  it("POSTs to <base path>/api/ingest, with or without a trailing slash on --server", async () => {
    const { base, seen } = await fake((_req, res) => res.end(JSON.stringify({ accepted: 1 })));
    for (const server of [base, `${base}/`, `${base}/lab`, `${base}/lab/`]) {
      const config = parseAgentArgs(["--server", server], {});
      if (config === "help") throw new Error("help");
      expect(await sendBatch(points, [], { server: config.server, token: undefined })).toEqual({ kind: "ok", accepted: 1 });
    }
    expect(seen).toEqual(["POST /api/ingest", "POST /api/ingest", "POST /lab/api/ingest", "POST /lab/api/ingest"]);
  });
});

describe("agent counts as sent only what the server says it accepted", () => {
  it("a 200 that is not JSON with a numeric accepted (an endpoint list, an SSO page) is not success", async () => {
    const html = await fake((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>Sign in</html>"));
    const list = await fake((_req, res) => res.end(JSON.stringify({ endpoints: ["/api/ingest"] })));
    for (const { base } of [html, list]) {
      const outcome = await sendBatch(points, [], { server: base, token: undefined });
      expect(outcome.kind).not.toBe("ok");
      expect(outcome.kind === "ok" ? "" : outcome.message).toContain(`${base}/api/ingest`);
    }
  });

  it("a redirect (to an SSO page) is not followed and is a configuration error naming the Location", async () => {
    const sso = await fake((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>Sign in</html>"));
    const { base } = await fake((_req, res) => res.writeHead(302, { location: `${sso.base}/login` }).end());
    const outcome = await sendBatch(points, [], { server: base, token: undefined });
    expect(outcome.kind).toBe("config");
    expect(outcome.kind === "ok" ? "" : outcome.message).toContain(`${sso.base}/login`);
    expect(sso.seen).toEqual([]);
  });
});

describe("agent reads bounded answers and logs clean messages", () => {
  it("a 503 with a huge body is read only up to 64 KiB (the rest is cancelled) and still retried", async () => {
    let written = 0;
    let closed = false;
    const chunk = Buffer.alloc(64 * 1024, "a");
    const total = 200 * 1024 * 1024;
    const { base } = await fake((_req, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.on("close", () => (closed = true));
      const pump = (): void => {
        while (written < total && !closed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const outcome = await sendBatch(points, [], { server: base, token: undefined });
    expect(outcome.kind).toBe("retry");
    expect(outcome.kind === "ok" ? 0 : outcome.message.length).toBeLessThan(400);
    await expect.poll(() => closed).toBe(true);
    expect(written).toBeLessThan(total);
  });

  it("a JSON error message with newlines and control characters is cut to 200 characters on one line", async () => {
    const forged = `bad\nlivedash agent: connected: fake\r\u001b[31m${"x".repeat(5000)}`;
    const { base } = await fake((_req, res) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: forged } })));
    const outcome = await sendBatch(points, [], { server: base, token: undefined });
    expect(outcome.kind).toBe("rejected");
    const message = outcome.kind === "ok" ? "" : outcome.message;
    expect(message.length).toBeLessThanOrEqual(200);
    // eslint-disable-next-line no-control-regex -- asserting that no control character is left
    expect(message).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(message.startsWith("bad")).toBe(true);
  });
});

describe("agent token file", () => {
  it("a token with a non-Latin-1 (or non-ASCII) character is refused naming the file, not retried as unreachable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-token-"));
    for (const token of ["tok\u20acen", "tok\u00e9en"]) {
      const file = join(dir, "token");
      await writeFile(file, `${token}\n`);
      await chmod(file, 0o600);
      const read = await readTokenFile(file);
      expect(read.ok).toBe(false);
      expect(read.ok ? "" : read.message).toContain(file);
      expect(read.ok ? "" : read.message).not.toContain(token);
    }
  });
});

describe("agents behind one address (a proxy) shared a flooding agent's ingest-rate bucket", () => {
  it("each batch names its host in X-Livedash-Host (percent-encoded): a flooding host is refused, another behind the same address is not", async () => {
    const token = "agent-sender-ingest-token-0123456789";
    // The rate limiter's clock stands still: nothing refills between the requests, whatever the load.
    const server = await startTestServer({ LIVEDASH_INGEST_TOKEN: token, LIVEDASH_INGEST_RATE: "10" }, { ingestRate: { now: () => 0 } });
    try {
      const batch = (n: number): Point[] => Array.from({ length: n }, (_, i) => ({ series: "agent.rate", ts: Date.now(), value: i }));
      const send = (host: string, n: number) => sendBatch(batch(n), [], { server: server.url, token, host });
      expect(await send("flood", 20)).toMatchObject({ kind: "ok", accepted: 20 });
      expect(await send("flood", 20)).toMatchObject({ kind: "retry", message: expect.stringMatching(/429: .*LIVEDASH_INGEST_RATE/) });
      expect(await send("quiet", 5)).toMatchObject({ kind: "ok", accepted: 5 });
      expect(await send("wéb-1", 5)).toMatchObject({ kind: "ok", accepted: 5 });
    } finally {
      await server.close();
    }
  });
});
