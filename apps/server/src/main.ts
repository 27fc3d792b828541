import { ConfigError, parseConfig } from "./config";
import { createServer } from "./server";

/** Entry point: read config, listen, stop cleanly on SIGTERM/SIGINT. Everything else is in createServer(). */
async function main() {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`livedash: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const server = await createServer(config);
  console.log(`livedash server listening on ${server.url} (engine: ${server.services.engine.kind})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`livedash: ${signal} received, closing`);
    // close() bounds each of its waits to the timeout; this only catches a close that hangs anyway.
    setTimeout(() => {
      console.error(`livedash: not closed within LIVEDASH_SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms), exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("livedash: error while closing:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES") console.error(`livedash: cannot listen: ${(error as Error).message}`);
  else console.error("livedash: failed to start:", error);
  process.exit(1);
});
