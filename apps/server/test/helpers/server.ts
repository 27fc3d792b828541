import { parseConfig } from "../../src/config";
import { createServer } from "../../src/server";
import type { ServerOptions } from "../../src/server";

/** A real server on an ephemeral loopback port, collectors off so only the test's points flow. */
export async function startTestServer(env: Record<string, string> = {}, options: ServerOptions = {}) {
  return createServer(parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", ...env }), options);
}

export async function ingest(baseUrl: string, points: { series: string; value: number; ts?: number }[], headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}/api/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ points }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
