import { pino } from "pino";
import type { DestinationStream, Logger as PinoLogger } from "pino";
import { redact } from "./security/tokens";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Logger = PinoLogger;

export interface LoggerOptions {
  /** LIVEDASH_LOG. @default "info" */
  level?: LogLevel;
  /** Where lines go: JSON lines on stdout unless main.ts hands a pretty printer for a terminal. @default stdout */
  destination?: DestinationStream;
  /** Configured tokens: removed wherever they appear in a line, whatever field or message carries them. */
  secrets?: readonly (string | undefined)[];
}

/**
 * Structured fields that may hold credentials. Censored by path before serialization; the line hook
 * below catches the same secrets when they hide in messages (an error quoting a URL with ?ticket=).
 */
const REDACT_PATHS = [
  "authorization",
  "headers.authorization",
  "*.headers.authorization",
  "headers.cookie",
  "*.headers.cookie",
  "connectionParams",
  "*.connectionParams",
  "token",
  "*.token",
  "ticket",
  "*.ticket",
];

/** The server's one logger: pino, one JSON object per line, levels from LIVEDASH_LOG, never a token. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((secret): secret is string => typeof secret === "string" && secret.length > 0);
  return pino(
    {
      level: options.level ?? "info",
      base: { name: "livedash" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      hooks: { streamWrite: (line) => redact(line, secrets) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * A readable (pino-pretty) destination for a terminal, or undefined when pino-pretty is not installed
 * (it is a dev dependency): the caller then keeps JSON lines.
 */
export async function prettyDestination(): Promise<DestinationStream | undefined> {
  try {
    const { default: pretty } = await import("pino-pretty");
    // The same look as `npm run dev`, whose script pipes JSON lines through the pino-pretty CLI.
    return pretty({ sync: true, singleLine: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,name" });
  } catch {
    return undefined;
  }
}
