import { ConfigError, parseConfig } from "./config";
import type { LivedashConfig } from "./config";
import { createLogger, prettyDestination } from "./logger";
import { createServer } from "./server";
import { StorageError } from "./store";

/** Entry point: read config, listen, stop cleanly on SIGTERM/SIGINT. Everything else is in createServer(). */
function readConfig(): LivedashConfig {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Before a valid config there is no level to log at: one plain line for the person starting it.
      process.stderr.write(`livedash: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(config: LivedashConfig): Promise<void> {
  // JSON lines for log collectors (a pipe, a file, `npm run dev` which pipes them to pino-pretty);
  // readable lines when a person watches a terminal.
  const logDestination = process.stdout.isTTY ? await prettyDestination() : undefined;
  const server = await createServer(config, { logDestination });
  const { log } = server;
  const engine = server.services.engine.kind;
  const { storage } = server.services;
  log.info({ storage: storage.kind, file: storage.disk?.file }, `storage ${storage.kind === "disk" ? `disk, data in ${storage.disk?.file}` : "memory (history is lost at exit)"}`);
  log.info({ url: server.url, engine }, `livedash server listening on ${server.url} (engine: ${engine})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, closing`);
    // close() bounds each of its waits to the timeout; this only catches a close that hangs anyway.
    setTimeout(() => {
      log.error(`not closed within LIVEDASH_SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms), exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "error while closing");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

const config = readConfig();
main(config).catch((error: unknown) => {
  if (error instanceof StorageError) {
    // A damaged or unusable data file does not heal by restarting: one plain line naming the file
    // and what to do, exit 2 like a bad setting, so a supervisor told not to restart on 2 does not loop.
    // A full disk does heal: its error carries exit code 75, which a supervisor restarts on.
    process.stderr.write(`livedash: storage: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof ConfigError) {
    // A setting that only createServer can check (the alert rules file): exit 2 as for a bad variable.
    process.stderr.write(`livedash: invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
  // createServer failed, so its logger went with it: report on a fresh one (JSON lines).
  const log = createLogger({ level: config.log, secrets: [config.readToken, config.ingestToken] });
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES") log.fatal({ code }, `cannot listen: ${(error as Error).message}`);
  else log.fatal({ err: error }, "failed to start");
  process.exit(1);
});
