import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { AlertRuleInputSchema, formatZodIssues, MAX_ALERT_RULES } from "@livedash/events";
import type { AlertRule } from "@livedash/events";
import { compileRuleSelector } from "./selector";
import type { CompiledRule } from "./evaluator";

/** A rules file larger than this is refused unread (it is a list of rules, not a data set). */
export const MAX_RULES_FILE_BYTES = 1_048_576;

export type RulesResult = { ok: true; rules: CompiledRule[] } | { ok: false; message: string };

/** Validates one rule; the message names the rule (index and name) and the field. */
export function compileRule(raw: unknown, where: string): { ok: true; rule: CompiledRule } | { ok: false; message: string } {
  const name = raw && typeof raw === "object" && typeof (raw as { name?: unknown }).name === "string" ? ` "${(raw as { name: string }).name.slice(0, 100)}"` : "";
  const parsed = AlertRuleInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: `${where}${name}: ${formatZodIssues(parsed.error, 5)}` };
  const selector = compileRuleSelector(parsed.data.series);
  if (!selector.ok) return { ok: false, message: `${where}${name}: series: ${selector.message}` };
  return { ok: true, rule: { rule: parsed.data, match: selector.match } };
}

/**
 * The text of a rules file: YAML (JSON is YAML too), either a list of rules or `{ rules: [...] }`.
 * All or nothing: one bad rule refuses the whole file, so the rules that run are always a file's
 * exact content.
 */
export function parseRulesText(text: string): RulesResult {
  let doc: unknown;
  try {
    // YAML's own limits keep an alias bomb small (maxAliasCount 100 by default).
    doc = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    return { ok: false, message: `not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}` };
  }
  if (doc === null || doc === undefined) return { ok: true, rules: [] };
  const list: unknown = Array.isArray(doc) ? doc : typeof doc === "object" && "rules" in doc ? (doc).rules : undefined;
  if (!Array.isArray(list)) return { ok: false, message: "must be a list of rules, or an object with a rules list" };
  if (list.length > MAX_ALERT_RULES) return { ok: false, message: `rules: at most ${MAX_ALERT_RULES} rules (got ${list.length})` };
  const rules: CompiledRule[] = [];
  const names = new Set<string>();
  for (const [index, raw] of list.entries()) {
    const compiled = compileRule(raw, `rules[${index}]`);
    if (!compiled.ok) return compiled;
    if (names.has(compiled.rule.rule.name)) return { ok: false, message: `rules[${index}] "${compiled.rule.rule.name}": name: another rule has this name` };
    names.add(compiled.rule.rule.name);
    rules.push(compiled.rule);
  }
  return { ok: true, rules };
}

async function readText(path: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    const buffer = await readFile(path);
    if (buffer.length > MAX_RULES_FILE_BYTES) return { ok: false, message: `larger than ${MAX_RULES_FILE_BYTES} bytes` };
    return { ok: true, text: buffer.toString("utf8") };
  } catch (error) {
    return { ok: false, message: `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/** At start: a bad file is a setup error (the server refuses to start, as Prometheus does). */
export function loadRulesFileSync(path: string): RulesResult & { text?: string } {
  let text: string;
  try {
    const buffer = readFileSync(path);
    if (buffer.length > MAX_RULES_FILE_BYTES) return { ok: false, message: `larger than ${MAX_RULES_FILE_BYTES} bytes` };
    text = buffer.toString("utf8");
  } catch (error) {
    return { ok: false, message: `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  return { ...parseRulesText(text), text };
}

export interface RulesWatcher {
  stop(): void;
  /** Reads the file now (tests; also what each poll does). */
  check(): Promise<void>;
}

/**
 * Re-reads the file every `pollMs` and applies it when its text changed. Polling rather than fs.watch:
 * editors and config tools replace a file by rename, which fs.watch follows differently per platform;
 * reading a small file once a second costs nothing. A read or validation error is reported and the
 * rules running stay; the same bad text is reported once, not once per poll.
 */
export function watchRulesFile(
  path: string,
  initialText: string,
  pollMs: number,
  onRules: (rules: CompiledRule[]) => void,
  onError: (message: string) => void,
): RulesWatcher {
  let lastText: string | null = initialText;
  let lastError: string | null = null;
  let running: Promise<void> | null = null;
  const check = () =>
    (running ??= (async () => {
      const read = await readText(path);
      if (!read.ok) {
        if (lastError !== read.message) onError(read.message);
        lastError = read.message;
        lastText = null;
        return;
      }
      if (read.text === lastText) return;
      lastText = read.text;
      const parsed = parseRulesText(read.text);
      if (parsed.ok) {
        lastError = null;
        onRules(parsed.rules);
      } else {
        lastError = parsed.message;
        onError(parsed.message);
      }
    })().finally(() => (running = null)));
  const timer = setInterval(() => void check(), pollMs);
  timer.unref();
  return { stop: () => clearInterval(timer), check };
}

export type { AlertRule };
