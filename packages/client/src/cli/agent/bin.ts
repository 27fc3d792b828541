// `livedash-agent.mjs`: the agent alone, bundled with everything it needs (no node_modules), so an
// agent machine needs Node 20 and this one file. Same flags as `livedash agent`.
import { runAsProcess } from "../process-glue";
import { agentCommand } from "./command";

await runAsProcess(agentCommand, process.env);
