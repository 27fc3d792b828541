import { spawn } from "node:child_process";
import { createServer as createNetServer, connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LivedashServer } from "../src/server";
import { httpClient, openLive } from "./helpers/live-clients";
import type { LiveClient, TransportName } from "./helpers/live-clients";
import { startRedis } from "./helpers/redis-server";
import type { TestRedis } from "./helpers/redis-server";
import { ingest, startTestServer } from "./helpers/server";

const WAIT = { timeout: 20_000, interval: 25 };
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

interface Instance {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The real server entry point in a child process, so a test can SIGKILL it: no goodbye to clients. */
async function startServerProcess(redisUrl: string): Promise<Instance & { kill(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/server/src/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", REDIS_URL: redisUrl, LIVEDASH_COLLECTORS: "off", LIVEDASH_STORAGE: "memory" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`server process did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server process exited early (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return { url, port: Number(new URL(url).port), kill, close: kill };
}

/**
 * A layer-4 balancer without affinity: every new TCP connection goes to the first backend that
 * accepts it (B while it lives, then C). Like nginx with a dead upstream, it knows nothing of
 * sessions, so resuming on another instance is entirely the server's and the client's doing.
 */
async function startBalancer(backendPorts: number[]) {
  const sockets = new Set<Socket>();
  const server = createNetServer((client) => {
    sockets.add(client);
    client.pause();
    client.on("error", () => client.destroy());
    client.on("close", () => sockets.delete(client));
    const tryBackend = (index: number) => {
      if (index >= backendPorts.length || client.destroyed) return client.destroy();
      const upstream = connect(backendPorts[index]!, "127.0.0.1");
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        sockets.add(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on("error", () => {
        upstream.destroy();
        if (!connected) tryBackend(index + 1);
      });
      upstream.on("close", () => {
        sockets.delete(upstream);
        if (connected) client.destroy();
      });
      client.on("close", () => upstream.destroy());
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads one unlabelled or labelled sample from an instance's /metrics. */
async function metric(url: string, sample: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : NaN;
}

async function untilSubscriptions(url: string, count: number) {
  await vi.waitFor(async () => expect(await metric(url, "livedash_subscriptions")).toBe(count), WAIT);
}

function values(client: LiveClient): number[] {
  return client.points().map((p) => p.value);
}

function expectStrictlyIncreasingIds(client: LiveClient, compare: (a: string, b: string) => number) {
  const ids = client.events.map((e) => e.id);
  for (let i = 1; i < ids.length; i++) expect(compare(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
}

describe("three instances on one Redis", () => {
  let redis: TestRedis;
  let a: LivedashServer;
  let c: LivedashServer;
  let b: Awaited<ReturnType<typeof startServerProcess>>;
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    [a, b, c] = await Promise.all([
      startTestServer({ REDIS_URL: redis.url }),
      startServerProcess(redis.url),
      startTestServer({ REDIS_URL: redis.url }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all([a?.close(), b?.close(), c?.close()]);
    await redis?.stop();
  }, 30_000);

  it("points ingested on A reach subscribers on B and C over every transport, with the same ids; history is equal everywhere", async () => {
    const series = "cluster.fanout";
    const plan: [TransportName, string][] = [
      ["ws", b.url],
      ["sse", b.url],
      ["trpc-sse", c.url],
      ["ws", c.url],
      ["poll", c.url],
    ];
    const subs = plan.map(([transport, url]) => openLive(transport, url, { series: [series] }));
    clients.push(...subs);
    await untilSubscriptions(b.url, 2);
    await untilSubscriptions(c.url, 2);
    await vi.waitFor(async () => expect(await metric(c.url, 'livedash_connections{transport="poll"}')).toBe(1), WAIT);

    const baseTs = Date.now() - 60_000;
    for (let i = 1; i <= 30; i++) expect((await ingest(a.url, [{ series, value: i, ts: baseTs + i * 100 }])).status).toBe(200);

    const expected = Array.from({ length: 30 }, (_, i) => i + 1);
    for (const sub of subs) await vi.waitFor(() => expect(values(sub)).toEqual(expected), WAIT);
    const ids = subs[0]!.events.map((e) => e.id);
    for (const sub of subs) {
      expect(sub.events.map((e) => e.id)).toEqual(ids);
      expect(sub.errors).toEqual([]);
    }

    const query = { series: [series], from: baseTs, to: baseTs + 10_000, maxPoints: 100 };
    const [onA, onB, onC] = await Promise.all([a.url, b.url, c.url].map((url) => httpClient(url).metrics.history.query(query)));
    expect(onA![0]!.points.map((p) => p.value)).toEqual(expected);
    expect(onB).toEqual(onA);
    expect(onC).toEqual(onA);
    // An instance started now warms its ring buffers from the stream: same history again.
    const late = await startTestServer({ REDIS_URL: redis.url });
    try {
      expect(await httpClient(late.url).metrics.history.query(query)).toEqual(onA);
    } finally {
      await late.close();
    }
    await Promise.all(clients.splice(0).map((client) => client.close()));
  }, 60_000);

  it("a subscriber on B during a steady stream fails over to C when B is SIGKILLed: no gap, no duplicate", async () => {
    const series = "cluster.failover";
    const balancer = await startBalancer([b.port, c.port]);
    try {
      const transports: TransportName[] = ["ws", "trpc-sse", "sse"];
      const subs = transports.map((transport) => openLive(transport, balancer.url, { series: [series] }));
      clients.push(...subs);
      await untilSubscriptions(b.url, 3);

      // The steady stream, published on A: one point per request, bounded in count.
      let produced = 0;
      let stop = false;
      const producer = (async () => {
        for (let i = 1; i <= 5_000 && !stop; i++) {
          const res = await ingest(a.url, [{ series, value: i }]);
          if (res.status !== 200) throw new Error(`ingest on A answered ${res.status}`);
          produced = i;
        }
      })();

      await vi.waitFor(() => subs.forEach((sub) => expect(values(sub).length).toBeGreaterThan(50)), WAIT);
      await b.kill();
      const killedAt = produced;
      // Every client must reconnect through the balancer (to C) and keep receiving.
      await vi.waitFor(() => subs.forEach((sub) => expect(Math.max(...values(sub))).toBeGreaterThan(killedAt + 100)), WAIT);
      stop = true;
      await producer;
      const expected = Array.from({ length: produced }, (_, i) => i + 1);
      for (const sub of subs) await vi.waitFor(() => expect(values(sub)).toHaveLength(produced), WAIT);
      for (const sub of subs) {
        // Exactly 1..N: a gap would miss a value, a duplicate would repeat one.
        expect(values(sub)).toEqual(expected);
        expectStrictlyIncreasingIds(sub, c.services.engine.compareIds);
        expect(sub.events.every((e) => e.data.type === "points")).toBe(true);
      }
      await untilSubscriptions(c.url, 3);
    } finally {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await balancer.close();
    }
  }, 90_000);
});
