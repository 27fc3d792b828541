import { setTimeout as delay } from "node:timers/promises";
import { alertStatePoint } from "@livedash/events";
import type { AlertRule, AlertsList, AlertTransition, Annotation, AnnotationInputSchema, AnnotationQuerySchema, Point, SeriesInfo, Silence, SilenceInputSchema } from "@livedash/events";
import type { z } from "zod";
import type { InProcessLive } from "../live/in-process";
import type { Logger } from "../logger";
import type { AlertDb } from "./alert-db";
import type { Claims } from "./claims";
import { createEvaluator } from "./evaluator";
import type { Change, CompiledRule, EvaluatorOptions } from "./evaluator";
import { createNotifier } from "./notifier";
import type { NotifierOptions } from "./notifier";
import { compileRule, watchRulesFile } from "./rules-file";
import type { RulesWatcher } from "./rules-file";
import { MAX_SAVED_RULES, createSavedRules } from "./saved-rules";
import { createSilences } from "./silences";
import { alertsList } from "./status";
import { notificationBody, transitionAnnotation } from "./webhook-body";

/** Tunables that are not environment settings: tests pass a clock and short intervals. */
export interface AlertsOptions {
  /** The evaluation clock (pending `for`, noData, silences). @default Date.now */
  now?: () => number;
  /** How often the clock alone is evaluated (`for` elapsing with no new point, noData). @default 1_000 */
  tickMs?: number;
  /** How often the rules file is re-read. @default 1_000 */
  rulesPollMs?: number;
  notifier?: NotifierOptions;
  evaluator?: EvaluatorOptions;
}

export interface AlertsDeps {
  readonly rulesFile: { path: string; text: string; rules: CompiledRule[] } | null;
  /** LIVEDASH_ALERT_WEBHOOK: where a rule without its own webhook sends. */
  readonly defaultWebhook: string | null;
  readonly db: AlertDb;
  readonly claims: Claims;
  readonly live: InProcessLive;
  /** Publishes points on the bus (the batcher): a transition's stream point. */
  publish(points: readonly Point[]): Promise<unknown>;
  catalog(): SeriesInfo[];
  readonly log: Logger;
  /** The server's own URL, for the links in notifications. */
  baseUrl(): string;
}

export type SaveResult = { ok: true } | { ok: false; code: "BAD_REQUEST" | "CONFLICT" | "NOT_FOUND"; message: string };

/**
 * Alert rules evaluated on the live stream: the rules file (re-read on change) plus rules saved from
 * the dashboard, the evaluator, silences, the outbox notifier and annotations, all kept in alerts.db.
 */
export function createAlerts(deps: AlertsDeps, options: AlertsOptions = {}) {
  const now = options.now ?? Date.now;
  const { db, log } = deps;
  const evaluator = createEvaluator(options.evaluator);
  const silences = createSilences(db, deps.claims.silences, log);
  const notifier = createNotifier(db, deps.claims, log, options.notifier);
  let fileRules: CompiledRule[] = deps.rulesFile?.rules ?? [];
  let fileError: string | null = null;
  let fileLoadedAt: number | null = deps.rulesFile ? now() : null;
  const savedRules = createSavedRules(db, deps.claims.rules, log, () => applyRules());
  const counters = { transitions: { ok: 0, pending: 0, firing: 0, resolved: 0 }, publishFailures: 0, reloads: 0, reloadErrors: 0 };
  const abort = new AbortController();
  let ruleList: CompiledRule[] = [];
  /** The live subscription of the evaluator, while there are rules; aborted when the last rule goes. */
  let stream: AbortController | null = null;
  /** Wakes the follower waiting for a first rule. */
  let rulesChanged: (() => void) | null = null;

  function applyRules() {
    const names = new Set(fileRules.map((r) => r.rule.name));
    const saved = savedRules.values();
    for (const { rule: { name } } of saved) if (names.has(name)) log.warn({ rule: name }, "a rule saved from the dashboard has the name of a rules-file rule: the file's runs");
    ruleList = [...fileRules, ...saved.filter((r) => !names.has(r.rule.name))];
    for (const gone of evaluator.setRules(ruleList)) db.forgetRule(gone);
    evaluator.seed(deps.catalog().flatMap((info) => (info.last ? [{ key: info.name, lastTs: info.last.ts }] : [])));
    if (ruleList.length === 0) stream?.abort();
    rulesChanged?.();
  }

  evaluator.restore(db.instances());
  applyRules();

  function ruleNamed(name: string): AlertRule | undefined {
    return ruleList.find((r) => r.rule.name === name)?.rule;
  }

  function apply(changes: readonly Change[]) {
    let queued = false;
    const at = now();
    for (const change of changes) {
      const rule = ruleNamed(change.transition.rule);
      if (!rule) continue;
      const transition: AlertTransition = { ...change.transition, silenced: silences.matching(rule.name, change.transition.series, at).length > 0 };
      const url = rule.webhook ?? deps.defaultWebhook;
      const notable = transition.to === "firing" || transition.to === "resolved";
      const notification = notable && url && !transition.silenced ? { url, body: notificationBody(transition, rule, deps.baseUrl()), at: Date.now() } : null;
      const annotation = notable ? { text: transitionAnnotation(transition), tags: ["alert", rule.name, transition.to, rule.severity] } : null;
      // Already recorded: a replay of what this data directory saw before. Nothing happens twice.
      if (!db.recordTransition(transition, change.instance, notification, annotation)) continue;
      counters.transitions[transition.to]++;
      queued ||= notification !== null;
      log.info({ rule: rule.name, series: transition.series, from: transition.from, to: transition.to, value: transition.value, silenced: transition.silenced }, `alert ${rule.name} ${transition.to}`);
      // On the stream once, whichever instance wins: every instance evaluates the same points.
      deps.claims
        .once(`event:${transition.id}`)
        .then((mine) => (mine ? deps.publish([alertStatePoint(transition)]) : undefined))
        .catch((error: unknown) => {
          counters.publishFailures++;
          log.warn({ err: error, id: transition.id }, "alert transition not published on the stream");
        });
    }
    if (queued) notifier.kick();
  }

  /**
   * Reads the live path in process, from where it left off when it had to resubscribe. Without rules
   * it holds no subscription at all: a "*" subscriber costs a filter per batch and shows in the stats.
   */
  async function follow() {
    let lastId: string | null = null;
    while (!abort.signal.aborted) {
      if (ruleList.length === 0) {
        // Rules that come back later start from now: the points in between were evaluated by nothing.
        lastId = null;
        await new Promise<void>((resolve) => {
          const done = () => {
            abort.signal.removeEventListener("abort", done);
            rulesChanged = null;
            resolve();
          };
          rulesChanged = done;
          abort.signal.addEventListener("abort", done, { once: true });
        });
        continue;
      }
      const current = new AbortController();
      stream = current;
      try {
        for await (const { id, event } of deps.live.events({ series: ["*"], lastEventId: lastId }, AbortSignal.any([abort.signal, current.signal]), "alerts")) {
          lastId = id;
          if (event.type === "points") apply(evaluator.observe(event.points, now()));
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        if (!current.signal.aborted) log.error({ err: error }, "alert evaluation lost the live stream; resubscribing");
      } finally {
        stream = null;
      }
      // The last rule went: wait for the next one, not a breath.
      if (current.signal.aborted) continue;
      // Ended (fell too far behind, or the server is closing): resume after a breath, never in a hot loop.
      await delay(100, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  function tick() {
    const at = now();
    void silences.expire(at);
    void savedRules.refresh();
    apply(evaluator.tick(at));
  }

  let ticker: NodeJS.Timeout | null = null;
  let watcher: RulesWatcher | null = null;
  let following: Promise<void> | null = null;

  return {
    start() {
      void silences.refresh();
      void savedRules.start();
      following = follow();
      ticker = setInterval(tick, options.tickMs ?? 1_000);
      ticker.unref();
      if (deps.rulesFile) {
        const path = deps.rulesFile.path;
        watcher = watchRulesFile(
          path,
          deps.rulesFile.text,
          options.rulesPollMs ?? 1_000,
          (rules) => {
            fileRules = rules;
            fileError = null;
            fileLoadedAt = now();
            counters.reloads++;
            applyRules();
            log.info({ file: path, rules: rules.length }, "alert rules reloaded");
          },
          (message) => {
            fileError = message;
            counters.reloadErrors++;
            log.error({ file: path }, `alert rules file not applied, the previous rules keep running: ${message}`);
          },
        );
      }
      // What a previous run left unsent goes out now.
      notifier.kick();
    },
    /** Evaluates the clock now (the ticker does this every tickMs; tests call it after moving their clock). */
    tick,
    /** Re-reads the rules file now (the watcher polls; tests call it to skip the wait). */
    reloadRules: () => watcher?.check() ?? Promise.resolve(),
    list(): AlertsList {
      return alertsList({
        rules: ruleList,
        fileNames: new Set(fileRules.map((r) => r.rule.name)),
        instances: (name) => evaluator.instances(name),
        silences,
        recent: db.recent(100),
        now: now(),
        rulesFile: { path: deps.rulesFile?.path ?? null, loadedAt: fileLoadedAt, error: fileError },
      });
    },
    /** Rejects when Redis (which keeps saved rules in Redis mode) does not answer: nothing changed then. */
    async saveRule(raw: unknown): Promise<SaveResult> {
      const compiled = compileRule(raw, "rule");
      if (!compiled.ok) return { ok: false, code: "BAD_REQUEST", message: compiled.message };
      const { name } = compiled.rule.rule;
      if (fileRules.some((r) => r.rule.name === name)) return { ok: false, code: "CONFLICT", message: `rule "${name}" is defined in the rules file; edit it there` };
      if (!savedRules.has(name) && savedRules.size >= MAX_SAVED_RULES) return { ok: false, code: "BAD_REQUEST", message: `at most ${MAX_SAVED_RULES} rules saved from the dashboard` };
      await savedRules.save(compiled.rule);
      return { ok: true };
    },
    async deleteRule(name: string): Promise<SaveResult> {
      if (fileRules.some((r) => r.rule.name === name)) return { ok: false, code: "CONFLICT", message: `rule "${name}" is defined in the rules file; remove it there` };
      if (!(await savedRules.remove(name))) return { ok: false, code: "NOT_FOUND", message: `no rule "${name}" saved from the dashboard` };
      return { ok: true };
    },
    silence(input: z.output<typeof SilenceInputSchema>): Promise<{ ok: true; silence: Silence } | { ok: false; message: string }> {
      return silences.add(input, now());
    },
    unsilence: (id: string): Promise<boolean> => silences.remove(id),
    /** Re-reads shared silences now (the ticker does it every tickMs). */
    refreshSilences: () => silences.refresh(),
    /** A user annotation: in alerts.db, or with Redis in Redis (every instance lists it); rejects when Redis does not answer. */
    annotate(input: z.output<typeof AnnotationInputSchema>): Promise<Annotation> {
      const annotation = { ts: input.ts ?? Date.now(), endTs: input.endTs ?? null, text: input.text, tags: input.tags, source: "user" as const };
      return deps.claims.annotations ? deps.claims.annotations.add(annotation) : Promise.resolve(db.annotate(annotation));
    },
    /** Local ones (this instance's alert transitions) merged with Redis' user ones, in ts order. */
    async annotations(query: z.output<typeof AnnotationQuerySchema>): Promise<Annotation[]> {
      const from = query.from ?? 0;
      const to = query.to ?? Date.now();
      const local = db.annotations(from, to, query.limit);
      if (!deps.claims.annotations) return local;
      const shared = await deps.claims.annotations.range(from, to, query.limit);
      return [...local, ...shared].sort((a, b) => a.ts - b.ts || a.id - b.id).slice(0, query.limit);
    },
    /** For /metrics: counted over every tracked series, not only the listed ones. */
    metrics() {
      const states = { ok: 0, pending: 0, firing: 0, resolved: 0 };
      let silenced = 0;
      const at = now();
      for (const { rule } of ruleList) {
        for (const instance of evaluator.instances(rule.name)) {
          states[instance.state]++;
          if (silences.matching(rule.name, instance.series, at).length > 0) silenced++;
        }
      }
      return { rules: ruleList.length, states, silenced, counters, notifier: notifier.stats(), outbox: db.outboxSize(), fileError: fileError !== null, evaluator: evaluator.stats() };
    },
    async close() {
      abort.abort();
      if (ticker) clearInterval(ticker);
      watcher?.stop();
      await following;
      await notifier.close();
      await deps.claims.close();
      db.close();
    },
  };
}

export type Alerts = ReturnType<typeof createAlerts>;
