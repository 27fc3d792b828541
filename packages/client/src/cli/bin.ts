import { runCli } from "./main";

/** Process glue only: argv, env, stdout/stderr, signals, exit code. */
const abort = new AbortController();
process.once("SIGINT", () => abort.abort());
process.once("SIGTERM", () => abort.abort());
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  // `livedash tail ... | head` closes the pipe: that is a normal way to stop.
  if (error.code === "EPIPE") process.exit(0);
});
const code = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  signal: abort.signal,
});
process.exitCode = code;
