import { fork } from "node:child_process";

/**
 * Request/response over Node's IPC channel between the orchestrator and its load processes
 * (producer, subscribers). Every call has a timeout, so a stuck child fails the step instead of
 * hanging the run.
 */

/**
 * @param {string} modulePath absolute path of the worker module
 * @param {{ name: string, env?: Record<string, string> }} options
 */
export function spawnWorker(modulePath, options) {
  const child = fork(modulePath, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...options.env },
    // tsx: workers import the wire protocol from @livedash/events, which ships TypeScript source.
    execArgv: ["--import", "tsx"],
  });
  let nextId = 1;
  /** @type {Map<number, {resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout}>} */
  const pending = new Map();
  const failAll = (/** @type {Error} */ error) => {
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      call.reject(error);
      pending.delete(id);
    }
  };
  child.on("message", (/** @type {any} */ msg) => {
    const call = pending.get(msg.replyTo);
    if (!call) return;
    pending.delete(msg.replyTo);
    clearTimeout(call.timer);
    if (msg.error) call.reject(new Error(`${options.name}: ${msg.error}`));
    else call.resolve(msg.result);
  });
  child.on("exit", (code, signal) => failAll(new Error(`${options.name} exited (code ${code}, signal ${signal})`)));
  return {
    pid: /** @type {number} */ (child.pid),
    name: options.name,
    /**
     * @param {string} cmd
     * @param {Record<string, unknown>} [args]
     * @param {number} [timeoutMs]
     * @returns {Promise<any>}
     */
    call(cmd, args = {}, timeoutMs = 30_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${options.name}: ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, cmd, args });
      });
    },
    /** Asks the worker to exit, then kills it if it has not within graceMs. */
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ id: 0, cmd: "exit", args: {} }, () => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Worker side: dispatches IPC commands to handlers; `exit` runs `onExit` then exits.
 * @param {Record<string, (args: any) => unknown>} handlers
 * @param {() => Promise<void> | void} onExit
 */
export function serveWorker(handlers, onExit) {
  const send = (/** @type {object} */ msg) => process.send?.(msg);
  process.on("message", async (/** @type {any} */ msg) => {
    if (msg.cmd === "exit") {
      await onExit();
      process.exit(0);
    }
    const handler = handlers[msg.cmd];
    if (!handler) return send({ replyTo: msg.id, error: `unknown command ${msg.cmd}` });
    try {
      send({ replyTo: msg.id, result: await handler(msg.args) });
    } catch (error) {
      send({ replyTo: msg.id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  });
  // The orchestrator owns us: when it goes away, so do we (no orphaned load processes).
  process.on("disconnect", async () => {
    await onExit();
    process.exit(0);
  });
}
