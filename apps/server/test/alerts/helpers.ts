import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AlertNotification, AlertsList } from "@livedash/events";

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
