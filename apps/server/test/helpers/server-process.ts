import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, vi } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

export interface MainProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** Runs src/main.ts in a child process (the real entry point, signals and all) with only the given env. */
export function startMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", LIVEDASH_COLLECTORS: "off", LIVEDASH_STORAGE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits for the "listening on" line and returns the URL. */
export async function urlOf(proc: MainProcess): Promise<string> {
  await vi.waitFor(
    () => {
      if (proc.child.exitCode !== null) throw new Error(`server exited early:\n${proc.output()}`);
      expect(proc.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    },
    { timeout: 20_000, interval: 50 },
  );
  return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output())![1]!;
}
