import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

const MAIN = fileURLToPath(new URL("../../../src/main.ts", import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Exit code and the ms from `since` (a performance.now() value) to the exit. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

/** Runs the real entry point (main.ts under tsx) on a free port, as `npm start` would; resolves once it listens. */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_STORAGE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  // Only the head and tail matter (the URL line, the shutdown lines); a chatty child stays bounded.
  const keep = (d: Buffer) => (output = output.length < 64_000 ? output + d.toString() : output.slice(0, 32_000) + output.slice(-16_000) + d.toString());
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  );
  process.once("exit", () => child.kill("SIGKILL"));
  await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`server exited during startup:\n${output}`);
      if (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(output)) throw new Error(`not listening yet:\n${output}`);
    },
    { timeout: 30_000, interval: 50 },
  );
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
  return { child, url, output: () => output, exited };
}

/** Open connections per transport, read from the server's own /metrics. */
export async function connectionsOf(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^livedash_connections\{transport="(\w+)"\} (\d+)$/gm)) out[match[1]!] = Number(match[2]);
  return out;
}
