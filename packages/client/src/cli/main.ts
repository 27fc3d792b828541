import { TRPCClientError } from "@trpc/client";
import { compileSeriesMatcher } from "@livedash/events";
import type { LiveEvent } from "@livedash/events";
import { createLivedashClient } from "../node";
import type { LivedashClient } from "../client";
import type { ConnectionState } from "../connection-state";
import { USAGE, UsageError, parseCommand } from "./args";
import type { Command } from "./args";
import { agentCommand } from "./agent/command";
import { errorCode } from "./error-code";
import { formatCatalog, formatEvent } from "./format";

export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM by the bin; a tail then ends cleanly with exit code 0. */
  signal?: AbortSignal;
}

/** Runs one command; resolves with the process exit code. Never throws: errors become a message. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === "agent") return agentCommand(argv.slice(1), io);
  let command: Command;
  try {
    command = parseCommand(argv, io.env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`livedash: ${error.message}`);
      io.stderr(USAGE);
      return 2;
    }
    throw error;
  }
  if (command.kind === "help") {
    io.stdout(USAGE);
    return 0;
  }
  const client = createLivedashClient({
    url: command.common.url,
    token: command.common.token,
    transport: command.kind === "tail" ? command.transport : "auto",
  });
  try {
    switch (command.kind) {
      case "series": {
        const catalog = await client.trpc.metrics.catalog.query();
        const match = command.selectors.length === 0 ? null : compileSeriesMatcher(command.selectors);
        const shown = match === null ? catalog : catalog.filter((entry) => match(entry.key));
        for (const line of formatCatalog(shown, command.json, Date.now())) io.stdout(line);
        return 0;
      }
      case "push": {
        const result = await client.trpc.metrics.ingest.mutate({ points: [{ series: command.series, value: command.value }] });
        io.stdout(`accepted ${result.accepted} point${result.accepted === 1 ? "" : "s"}${result.id ? ` (event ${result.id})` : ""}`);
        return 0;
      }
      case "annotate": {
        const annotation = await client.trpc.metrics.annotate.mutate(command.input);
        io.stdout(`annotated ${new Date(annotation.ts).toISOString()}${annotation.endTs === null ? "" : ` to ${new Date(annotation.endTs).toISOString()}`}: ${annotation.text} (id ${annotation.id})`);
        return 0;
      }
      case "tail":
        // Ask once over plain HTTP first, so a wrong URL fails fast with a clear message.
        await client.trpc.system.info.query();
        return await tail(client, command, io);
    }
  } catch (error) {
    io.stderr(`livedash: ${explain(error, command.common.url)}`);
    return 1;
  } finally {
    client.close();
  }
}

function tail(client: LivedashClient, command: Extract<Command, { kind: "tail" }>, io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    let printed = 0;
    let seriesWidth = 24;
    let lastStatus: ConnectionState["status"] | null = null;
    const stopState = client.connection.subscribe((state) => {
      if (state.status === lastStatus) return;
      lastStatus = state.status;
      if (state.status === "live") io.stderr(`livedash: live via ${state.transport} on ${command.common.url}`);
      else if (state.status === "reconnecting") io.stderr(`livedash: connection lost, reconnecting (${state.transport})...`);
      else if (state.status === "offline") io.stderr(`livedash: cannot reach ${command.common.url}; still retrying (Ctrl-C to stop)`);
    });
    const finish = (code: number) => {
      stopState();
      subscription.unsubscribe();
      io.signal?.removeEventListener("abort", onAbort);
      resolve(code);
    };
    const onAbort = () => finish(0);
    const subscription = client.trpc.metrics.live.subscribe(
      { series: command.patterns, ...(command.aggregate ? { aggregate: command.aggregate } : {}) },
      {
        onData: ({ id, data }: { id: string; data: LiveEvent }) => {
          if (data.type === "reset") {
            const lines = formatEvent(id, data, command.json, seriesWidth);
            for (const line of lines) (command.json ? io.stdout : io.stderr)(line);
            return;
          }
          for (const point of data.points) {
            seriesWidth = Math.max(seriesWidth, point.series.length);
            const [line] = formatEvent(id, { type: "points", points: [point] }, command.json, seriesWidth);
            if (line !== undefined) io.stdout(line);
            printed++;
            if (command.count !== null && printed >= command.count) {
              finish(0);
              return;
            }
          }
        },
        onError: (error) => {
          io.stderr(`livedash: ${explain(error, command.common.url)}`);
          finish(1);
        },
        onComplete: () => finish(0),
      },
    );
    if (io.signal?.aborted) finish(0);
    else io.signal?.addEventListener("abort", onAbort);
  });
}

/** One line a person can act on: never a stack trace. */
export function explain(error: unknown, url: string): string {
  const code = errorCode(error);
  if (code && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EAI_AGAIN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) {
    return `cannot reach the Livedash server at ${url} (${code}). Is it running? Start it with \`npm start\`, or pass --url.`;
  }
  if (error instanceof TRPCClientError) {
    const trpcCode = (error.data as { code?: string } | undefined)?.code;
    if (trpcCode === "UNAUTHORIZED" || trpcCode === "FORBIDDEN") {
      return `the server at ${url} refused the request (${trpcCode}): ${error.message}. Pass --token or set LIVEDASH_TOKEN.`;
    }
    if (error.message === "fetch failed" || !trpcCode) return `cannot talk to the Livedash server at ${url}: ${error.message}`;
    return `${trpcCode}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
