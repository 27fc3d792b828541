export { createServer, VERSION } from "./server";
export type { LivedashServer, ServerOptions } from "./server";
export { parseConfig, ConfigError } from "./config";
export type { LivedashConfig } from "./config";
export type { AppRouter } from "@livedash/api";
