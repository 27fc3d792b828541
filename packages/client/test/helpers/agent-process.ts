import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/livedash.mjs", import.meta.url));

export interface AgentProcess {
  /** Everything the agent logged (stderr) and printed (stdout) so far. */
  output(): string;
  /** Log lines so far. */
  lines(): string[];
  /** The ts of every tick the agent logged as collected (`--verbose`), in collection order. */
  collectedTs(): number[];
  /** Resolves with the exit code once the process is gone. */
  readonly exited: Promise<number | null>;
  /** Sends a signal; resolves with the exit code. */
  signal(name: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `livedash agent <args>` (the real bin) as a child process, or with `standalone`, that file
 * (`dist/livedash-agent.mjs`, which takes the agent's flags directly) from wherever it was copied.
 */
export function startAgent(args: string[], options: { standalone?: string } = {}): AgentProcess {
  const argv = options.standalone === undefined ? [BIN, "agent", ...args] : [options.standalone, ...args];
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LIVEDASH_URL: "" } });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = () => output.split("\n").filter((line) => line.length > 0);
  return {
    output: () => output,
    lines,
    collectedTs: () => lines().flatMap((line) => /^livedash agent: collected \d+ points at ts (\d+) /.exec(line)?.[1] ?? []).map(Number),
    exited,
    signal: async (name) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(name);
      return exited;
    },
  };
}
