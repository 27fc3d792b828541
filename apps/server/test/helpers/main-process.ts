import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, vi } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface MainProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs src/main.ts as a real child process (collectors off unless env says otherwise). */
export function startMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    // Memory storage unless a test asks for disk: no test writes a data directory into the repository.
    env: { PATH: process.env.PATH ?? "", LIVEDASH_COLLECTORS: "off", LIVEDASH_STORAGE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits for the "listening on" line and returns the base URL. */
export async function mainUrl(proc: MainProcess): Promise<string> {
  await vi.waitFor(() => expect(proc.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/), { timeout: 20_000, interval: 50 });
  return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())![1]!;
}
