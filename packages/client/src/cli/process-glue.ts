import type { CliIo } from "./main";

/**
 * Process glue only, shared by both bins (which alone read process.env, and hand it over): argv, env, stdout/stderr, signals, exit code. SIGINT and
 * SIGTERM abort `io.signal` (a tail ends, an agent flushes) instead of killing the process.
 */
export async function runAsProcess(run: (argv: readonly string[], io: CliIo) => Promise<number>, env: CliIo["env"]): Promise<void> {
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  process.once("SIGTERM", () => abort.abort());
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    // `livedash tail ... | head` closes the pipe: that is a normal way to stop.
    if (error.code === "EPIPE") process.exit(0);
  });
  process.exitCode = await run(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env,
    signal: abort.signal,
  });
}
