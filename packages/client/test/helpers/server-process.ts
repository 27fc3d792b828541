import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: no goodbye to clients, sockets reset by the kernel. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM: the server's own graceful shutdown (drains writes, closes storage). Resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs the real server (`apps/server/src/main.ts` under tsx) in a child process, so a test can kill
 * it hard and start another on the same port. Resolves once it prints its URL.
 */
export async function startServerProcess(port = 0, env: Record<string, string> = {}, startTimeoutMs = 20_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/server/src/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LIVEDASH_COLLECTORS: "off", LIVEDASH_STORAGE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await waitForUrl(child, startTimeoutMs);
  const signal = async (name: NodeJS.Signals): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    kill: async () => {
      await signal("SIGKILL");
    },
    stop: () => signal("SIGTERM"),
  };
}

function waitForUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not print its URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}
