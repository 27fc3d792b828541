import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, parseConfig } from "../src/config";
import { mainUrl, startMain } from "./helpers/main-process";

describe("configuration", () => {
  it.each([
    [{ PORT: "99999" }, /^PORT: PORT must be an integer from 0 to 65535, got "99999"$/],
    [{ PORT: "abc" }, /PORT must be an integer/],
    [{ LIVEDASH_TICKMS: "5" }, /unknown setting LIVEDASH_TICKMS/],
    [{ LIVEDASH_COLLECTORS: "maybe" }, /LIVEDASH_COLLECTORS must be "on" or "off"/],
    [{ LIVEDASH_HOSTNAME: "web\u00071" }, /LIVEDASH_HOSTNAME: label value must not contain control characters/],
    [{ HOST: "0.0.0.0" }, /HOST=0.0.0.0 is not loopback: set LIVEDASH_READ_TOKEN and LIVEDASH_INGEST_TOKEN/],
    [{ LIVEDASH_READ_TOKEN: "short" }, /LIVEDASH_READ_TOKEN must be at least 16 characters/],
    [{ REDIS_URL: "http://x" }, /REDIS_URL must start with redis:\/\//],
    [{ LIVEDASH_ALLOWED_ORIGINS: "example.com" }, /LIVEDASH_ALLOWED_ORIGINS: "example.com" is not an origin/],
  ])("rejects %o naming the variable", (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });

  it("stops the start with one clear line and exit code 2", async () => {
    const proc = startMain({ PORT: "not-a-port" });
    expect(await proc.exited).toBe(2);
    expect(proc.output().trim()).toBe('livedash: invalid configuration: PORT: PORT must be an integer from 0 to 65535, got "not-a-port"');
  });
});

describe("the server process", () => {
  it("prints its URL, and on SIGTERM tells WS clients to reconnect, ends SSE streams and exits 0", async () => {
    const proc = startMain({ PORT: "0" });
    try {
      const url = await mainUrl(proc);

      const ws = new WebSocket(`${url.replace("http", "ws")}/trpc`);
      const wsMessages: string[] = [];
      ws.on("message", (m) => wsMessages.push(m.toString()));
      await new Promise((resolve) => ws.once("open", resolve));

      const sse = await fetch(`${url}/sse?series=*`);
      expect(sse.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = sse.body!.getReader();
      const sseEnded = (async () => {
        // Bounded: the stream has at most a preamble and a few heartbeats before it ends.
        for (let i = 0; i < 100; i++) if ((await reader.read()).done) return true;
        return false;
      })();

      proc.child.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      expect(await sseEnded).toBe(true);
      expect(wsMessages).toContain(JSON.stringify({ id: null, method: "reconnect" }));
      expect(proc.output()).toMatch(/SIGTERM received, closing/);
    } finally {
      proc.child.kill("SIGKILL");
    }
  });
});

