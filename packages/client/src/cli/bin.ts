import { runCli } from "./main";
import { runAsProcess } from "./process-glue";

await runAsProcess(runCli, process.env);
