import { parseArgs } from "node:util";
import { z } from "zod";
import { AnnotationInputSchema, SeriesNameSchema, SeriesSelectorSchema, formatZodIssues, parseAggregateParams, splitSelectorList } from "@livedash/events";
import { TransportPreferenceSchema } from "../options";
import type { TransportPreference } from "../connection-state";
import type { Aggregate, AnnotationInput } from "@livedash/events";

/** `--ts`/`--end-ts`: epoch milliseconds or a date Date.parse reads (ISO 8601). */
function timeArg(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new UsageError(`${flag} must be epoch milliseconds or an ISO date like 2026-12-06T01:00:00Z (got "${raw}")`);
  return ms;
}

export const USAGE = `usage:
  livedash tail <selector...> [--aggregate OP [--by LABEL]...] [--url URL] [--transport auto|ws|sse|poll] [--json] [--count N]
  livedash series [selector...] [--url URL] [--json]
  livedash push <series> <value> [--url URL]
  livedash annotate <text> [--tag TAG]... [--ts TIME] [--end-ts TIME] [--url URL]
  livedash agent --server URL [--token-file FILE] [--host NAME] [--interval 1s] ...  (livedash agent --help)

options:
  --url URL         server base URL (default: $LIVEDASH_URL or http://127.0.0.1:4000)
  --token TOKEN     read or ingest token when the server has tokens (default: $LIVEDASH_TOKEN)
  --transport T     tail over this transport only (default: auto, WebSocket -> SSE -> long-poll)
  --json            one JSON object per line instead of a table
  --count N         tail: exit after N points
  --aggregate OP    tail: the server aggregates what the selectors match: sum, avg, min, max, count, rate
  --by LABEL        tail: with --aggregate, one output series per value of these labels (repeat, or host,cpu)
  --tag TAG         annotate: a tag (repeat for several)
  --ts TIME         annotate: when (epoch ms or an ISO date; default: now)
  --end-ts TIME     annotate: the end of a range
  -h, --help        this text

selectors: a name or glob (host.cpu.*), plus label matchers: 'host.cpu.total{host="web1",cpu!="0"}',
  '{dev=~"sd.*"}'; = != =~ !~ (regexes anchored, RE2 syntax). An argument may hold a comma-separated list.`;

export type Command =
  | { kind: "help" }
  | { kind: "tail"; common: Common; patterns: string[]; aggregate?: Aggregate | undefined; transport: TransportPreference; json: boolean; count: number | null }
  /** `selectors` empty: every series. */
  | { kind: "series"; common: Common; json: boolean; selectors: string[] }
  | { kind: "push"; common: Common; series: string; value: number }
  | { kind: "annotate"; common: Common; input: AnnotationInput };

export interface Common {
  url: string;
  token?: string | undefined;
}

/** A usage mistake: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

const CommonSchema = z.object({
  url: z
    .string()
    .url("--url must be a URL like http://127.0.0.1:4000")
    .refine((u) => /^https?:\/\//.test(u), "--url must start with http:// or https://"),
  token: z.string().min(1, "--token must not be empty").optional(),
});

/** Parses argv (without node and script); `env` supplies LIVEDASH_URL / LIVEDASH_TOKEN defaults. */
/** Selector arguments in canonical text; each argument may be a list (`a.*,b{x="1,2"}`), split on the commas outside braces and quotes. */
function selectorArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const pattern of args.flatMap((arg) => splitSelectorList(arg))) {
    const check = SeriesSelectorSchema.safeParse(pattern);
    if (!check.success) throw new UsageError(`pattern "${pattern}": ${formatZodIssues(check.error)}`);
    out.push(check.data);
  }
  return out;
}

export function parseCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        transport: { type: "string" },
        json: { type: "boolean", default: false },
        count: { type: "string" },
        aggregate: { type: "string" },
        by: { type: "string", multiple: true },
        tag: { type: "string", multiple: true },
        ts: { type: "string" },
        "end-ts": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === "help") return { kind: "help" };

  const common = CommonSchema.safeParse({
    url: values.url ?? (env["LIVEDASH_URL"] || undefined) ?? "http://127.0.0.1:4000",
    token: values.token ?? (env["LIVEDASH_TOKEN"] || undefined),
  });
  if (!common.success) throw new UsageError(common.error.issues[0]?.message ?? formatZodIssues(common.error));
  const base = { ...common.data, url: common.data.url.replace(/\/+$/, "") };

  switch (name) {
    case "tail": {
      if (rest.length === 0) throw new UsageError("tail needs at least one series name or pattern, e.g. livedash tail 'host.cpu.*'");
      const patterns = selectorArgs(rest);
      const transport = TransportPreferenceSchema.safeParse(values.transport ?? "auto");
      if (!transport.success) throw new UsageError(`--transport: ${formatZodIssues(transport.error)}`);
      let count: number | null = null;
      if (values.count !== undefined) {
        count = Number(values.count);
        if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a positive integer (got "${values.count}")`);
      }
      // The same rules and messages as /sse's aggregate=&by= (docs/aggregation.md), flags named.
      const aggregate = parseAggregateParams(values.aggregate ?? null, values.by === undefined ? null : values.by.join(","));
      if (!aggregate.ok) throw new UsageError(`--${aggregate.message.replace("needs aggregate=<op>", "needs --aggregate OP")}`);
      return { kind: "tail", common: base, patterns, aggregate: aggregate.value, transport: transport.data, json: values.json, count };
    }
    case "series":
      return { kind: "series", common: base, json: values.json, selectors: selectorArgs(rest) };
    case "push": {
      const [series, raw, ...extra] = rest;
      if (series === undefined || raw === undefined || extra.length > 0) throw new UsageError("push needs exactly <series> <value>, e.g. livedash push app.queue.depth 42");
      const name = SeriesNameSchema.safeParse(series);
      if (!name.success) throw new UsageError(`series "${series}": ${formatZodIssues(name.error)}`);
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`value must be a finite number (got "${raw}")`);
      return { kind: "push", common: base, series: name.data, value };
    }
    case "annotate": {
      const [text, ...extra] = rest;
      if (text === undefined || extra.length > 0) throw new UsageError('annotate needs exactly one <text> (quote it), e.g. livedash annotate "deploy v1.4" --tag deploy');
      const input = AnnotationInputSchema.safeParse({ text, tags: values.tag ?? [], ts: timeArg("--ts", values.ts), endTs: timeArg("--end-ts", values["end-ts"]) });
      if (!input.success) throw new UsageError(formatZodIssues(input.error));
      return { kind: "annotate", common: base, input: input.data };
    }
    default:
      throw new UsageError(`unknown command "${name}" (commands: tail, series, push, annotate, agent)`);
  }
}
