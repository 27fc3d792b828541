import { parseConfig } from "../../../../apps/server/src/config";
import { createServer } from "../../../../apps/server/src/server";
import type { ServerOptions } from "../../../../apps/server/src/server";

/** The real server in-process on an ephemeral loopback port, collectors off: only the test's points flow. */
export async function startTestServer(env: Record<string, string> = {}, options: ServerOptions = {}) {
  return createServer(parseConfig({ PORT: "0", LIVEDASH_COLLECTORS: "off", LIVEDASH_LOG: "silent", LIVEDASH_STORAGE: "memory", ...env }), options);
}
