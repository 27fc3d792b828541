import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { AlertNotification, AlertsList } from "@livedash/events";
import type { ServerOptions } from "../../src/server";
import { tempDataDir } from "../helpers/data-dir";
import { startRedis } from "../helpers/redis-server";
import type { TestRedis } from "../helpers/redis-server";
import { startTestServer } from "../helpers/server";

/** Cleanups run after each test, last registered first. */
export function useCleanups(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** A real redis-server for the whole describe block (started before its tests, stopped after). */
export function useRedis(): TestRedis {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const current = (): TestRedis => {
    if (redis === undefined) throw new Error("redis-server is not started yet (use it inside a test)");
    return redis;
  };
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    stop: () => current().stop(),
    restart: () => current().restart(),
  };
}

/** A test server (memory storage) running `rules`, closed and its rules file removed after the test. */
export async function startWithRules(cleanups: (() => unknown)[], rules: string, env: Record<string, string> = {}, options: ServerOptions = {}) {
  const dir = tempDataDir();
  cleanups.push(dir.remove);
  const server = await startTestServer({ LIVEDASH_ALERT_RULES: writeRules(dir.dir, rules), ...env }, options);
  cleanups.push(() => server.close());
  return server;
}

/** Writes a rules file (YAML text) into dir and returns its path. */
export function writeRules(dir: string, text: string, name = "rules.yaml"): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export async function getAlerts(baseUrl: string, headers: Record<string, string> = {}): Promise<AlertsList> {
  const res = await fetch(`${baseUrl}/api/alerts`, { headers });
  if (res.status !== 200) throw new Error(`GET /api/alerts: ${res.status} ${await res.text()}`);
  return (await res.json()) as AlertsList;
}

/** The state of one rule's series in GET /api/alerts, or "absent". */
export async function stateOf(baseUrl: string, rule: string, series: string, headers: Record<string, string> = {}): Promise<string> {
  const list = await getAlerts(baseUrl, headers);
  return list.rules.find((r) => r.name === rule)?.instances.find((i) => i.series === series)?.state ?? "absent";
}

export interface Receiver {
  readonly url: string;
  /** Every notification received with a 2xx answer, in arrival order. */
  readonly received: AlertNotification[];
  /** Requests answered with an error while down. */
  refused: number;
  /** While true every request is answered 503 (a receiver outage). */
  down: boolean;
  close(): Promise<void>;
}

/** A real webhook receiver on 127.0.0.1, port 0. */
export async function startReceiver(port = 0): Promise<Receiver> {
  const receiver: Receiver = {
    url: "",
    received: [],
    refused: 0,
    down: false,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      if (receiver.down) {
        receiver.refused++;
        res.writeHead(503).end();
        return;
      }
      receiver.received.push(JSON.parse(body) as AlertNotification);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
