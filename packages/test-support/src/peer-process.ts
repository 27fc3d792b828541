import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";

/** A real peer program (Debian's prometheus, node exporter, ...) started in the foreground by a test. */
export interface PeerProcess {
  readonly pid: number;
  /** The last output (stdout and stderr), for a failure message. */
  output(): string;
  /** SIGTERM, SIGKILL after a grace; resolves once it exited. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when the process exits (for a test that kills it on purpose). */
  readonly exited: Promise<void>;
}

export interface PeerOptions {
  /** The binary, e.g. `prometheus`; a missing one fails with an install hint (peer tests never skip). */
  command: string;
  args: string[];
  /** Debian package that ships `command`, named in the error when it is missing. */
  aptPackage: string;
  /** Polled until it answers 2xx: the peer is ready. */
  readyUrl: string;
  /** @default 20_000 */
  readyTimeoutMs?: number;
  /** @default 5_000 */
  stopTimeoutMs?: number;
  cwd?: string;
}

/** Output kept for error messages; older output is dropped. */
const MAX_OUTPUT_CHARS = 16_384;
const READY_POLL_MS = 100;

/**
 * Spawns `command` as an owned child (never a system service) and resolves once `readyUrl` answers
 * 2xx. The child is killed if this process exits, so a crashed test leaks nothing.
 */
export async function startPeer(options: PeerOptions): Promise<PeerProcess> {
  const child: ChildProcess = spawn(options.command, options.args, { stdio: ["ignore", "pipe", "pipe"], cwd: options.cwd });
  let output = "";
  const onOutput = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);
  const onProcessExit = () => child.kill("SIGKILL");
  process.once("exit", onProcessExit);
  let spawnError: Error | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      process.removeListener("exit", onProcessExit);
      resolve();
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      spawnError = error.code === "ENOENT" ? new Error(`${options.command} not found: install it (apt-get install -y ${options.aptPackage}); peer tests never skip`) : error;
      resolve();
    });
  });
  let running = true;
  void exited.then(() => (running = false));
  const stop = async () => {
    if (!running) return;
    const timer = setTimeout(() => child.kill("SIGKILL"), options.stopTimeoutMs ?? 5_000);
    child.kill("SIGTERM");
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (!running) {
      throw spawnError ?? new Error(`${options.command} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}):\n${output}`);
    }
    const ready = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => (void res.body?.cancel(), res.ok),
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.command} not ready at ${options.readyUrl} within ${options.readyTimeoutMs ?? 20_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { pid: child.pid!, output: () => output, stop, exited };
}
