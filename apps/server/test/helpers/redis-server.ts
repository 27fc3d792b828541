import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "@livedash/test-support";

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGTERM, then SIGKILL) and waits for it to exit. Data is gone: no persistence. */
  stop(): Promise<void>;
  /** Stops it if running and starts a fresh, empty one on the same port. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? "redis-server";

/** One PING over a raw socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => finish(false), 1_000);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => finish(data.toString().startsWith("+PONG")));
  });
}

/**
 * Spawns `redis-server` as an owned foreground child (not --daemonize), so a crashed test cannot
 * leak it beyond the process: an exit hook kills it. Resolves once it logged readiness and answers PING.
 * Fails loudly when the binary is missing: CI must install Debian's redis-server, never skip.
 */
function spawnRedis(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(REDIS_BIN, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`redis-server on port ${port} not ready within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.once("error", (error: NodeJS.ErrnoException) =>
      fail(
        error.code === "ENOENT"
          ? new Error(`${REDIS_BIN} not found: install it (apt-get install -y redis-server); redis tests never skip`)
          : error,
      ),
    );
    child.once("exit", (code, signal) => fail(new Error(`redis-server exited early (code ${code}, signal ${signal}):\n${output}`)));
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      if (settled || !output.includes("Ready to accept connections")) return;
      void ping(port).then((ok) => {
        if (settled) return;
        if (!ok) return fail(new Error(`redis-server on port ${port} logged ready but did not answer PING`));
        settled = true;
        clearTimeout(timer);
        resolve(child);
      });
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Starts a throwaway Redis on a free port of 127.0.0.1 (retries a few ports if one is taken meanwhile). */
export async function startRedis(): Promise<TestRedis> {
  let child: ChildProcess | null = null;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await spawnRedis(port).catch((error: unknown) => {
      // Only a port taken between freePort() and the spawn is worth another try.
      if (!(error instanceof Error && /exited early|Address already in use/.test(error.message))) throw error;
      lastError = error;
      return null;
    });
  }
  if (!child) throw lastError;
  const onExit = () => child?.kill("SIGKILL");
  process.once("exit", onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child) await kill(child);
      process.removeListener("exit", onExit);
    },
    async restart() {
      if (child) await kill(child);
      child = await spawnRedis(port);
      process.removeListener("exit", onExit);
      process.once("exit", onExit);
    },
  };
}
