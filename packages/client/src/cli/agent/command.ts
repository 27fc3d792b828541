import { UsageError } from "../args";
import type { CliIo } from "../main";
import { runAgent } from "./agent";
import { AGENT_USAGE, parseAgentArgs } from "./agent-args";

/** `livedash agent ...`: its own flags (a long-running service, not a one-shot command). */
export async function agentCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let config;
  try {
    config = parseAgentArgs(argv, io.env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`livedash agent: ${error.message}`);
      io.stderr(AGENT_USAGE);
      return 2;
    }
    throw error;
  }
  if (config === "help") {
    io.stdout(AGENT_USAGE);
    return 0;
  }
  return runAgent(config, io);
}
