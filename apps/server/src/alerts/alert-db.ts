import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import type { AlertRule, AlertState, AlertTransition, Annotation, Silence } from "@livedash/events";
import { StorageError, asStorageError } from "../store/disk/sqlite";

/**
 * Alert state, unsent notifications, transitions, silences, rules saved from the dashboard and
 * annotations, in `<LIVEDASH_DATA_DIR>/alerts.db`.
 *
 * A file of its own rather than tables in livedash.db: the disk store holds that file under an
 * exclusive lock and commits on its own once-a-second flush, while every alert write here
 * (a transition, a delivered webhook) must be durable when it returns, before the webhook is sent or
 * forgotten; its schema version stays the store's business. With LIVEDASH_STORAGE=memory it is an
 * in-memory database: nothing outlives the process, as for the points.
 */

/** File name of the alert database inside LIVEDASH_DATA_DIR. */
export const ALERTS_FILE = "alerts.db";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS instances (
    rule TEXT NOT NULL, series TEXT NOT NULL, state TEXT NOT NULL, since INTEGER NOT NULL,
    episode INTEGER NOT NULL, pending_since INTEGER NOT NULL, value REAL, last_seen INTEGER NOT NULL,
    PRIMARY KEY (rule, series)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS transitions (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
  -- grp: receiver and (rule, series); a row waits while an older row of its grp is unsent, so a
  -- receiver never gets "resolved" before the "firing" it resolves.
  CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, grp TEXT NOT NULL, url TEXT NOT NULL,
    body TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS outbox_by_grp ON outbox (grp, seq);
  CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, body TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS rules (name TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS annotations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, end_ts INTEGER, text TEXT NOT NULL,
    tags TEXT NOT NULL, source TEXT NOT NULL, dedupe TEXT UNIQUE
  );
  CREATE INDEX IF NOT EXISTS annotations_by_ts ON annotations (ts);
`;

/** An outbox row that no older row of its group waits before. */
const HEAD = "NOT EXISTS (SELECT 1 FROM outbox p WHERE p.grp = o.grp AND p.seq < o.seq)";

/** What the evaluator keeps per (rule, series) between points (see evaluator.ts). */
export interface InstanceRow {
  rule: string;
  series: string;
  state: AlertState;
  since: number;
  /** Point ts that began the current episode: part of every transition id, so all instances agree. */
  episode: number;
  /** Evaluation clock when pending began (`for` counts from here). */
  pendingSince: number;
  value: number | null;
  lastSeen: number;
}

export interface OutboxRow {
  id: string;
  url: string;
  body: string;
  attempts: number;
  nextAt: number;
  createdAt: number;
}

export interface AlertDbLimits {
  /** Transitions kept for `recent` (oldest dropped). @default 10_000 */
  maxTransitions?: number;
  /** Annotations kept (oldest dropped). @default 100_000 */
  maxAnnotations?: number;
}

export function openAlertDb(dataDir: string | null, limits: AlertDbLimits = {}) {
  const maxTransitions = limits.maxTransitions ?? 10_000;
  const maxAnnotations = limits.maxAnnotations ?? 100_000;
  let db: Database.Database;
  const file = dataDir === null ? ":memory:" : join(dataDir, ALERTS_FILE);
  try {
    if (dataDir !== null) mkdirSync(dataDir, { recursive: true });
    db = new Database(file, { timeout: 0 });
    db.pragma("journal_mode = WAL");
    // FULL: a transition or a delivered notification is on disk when the call returns (they are rare).
    db.pragma("synchronous = FULL");
    db.exec(SCHEMA);
  } catch (error) {
    throw error instanceof StorageError ? error : asStorageError(error, file);
  }

  const stmt = {
    getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    setMeta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
    instances: db.prepare<[], { rule: string; series: string; state: AlertState; since: number; episode: number; pending_since: number; value: number | null; last_seen: number }>(
      "SELECT * FROM instances",
    ),
    putInstance: db.prepare("INSERT OR REPLACE INTO instances (rule, series, state, since, episode, pending_since, value, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
    deleteInstance: db.prepare("DELETE FROM instances WHERE rule = ? AND series = ?"),
    deleteRuleInstances: db.prepare("DELETE FROM instances WHERE rule = ?"),
    addTransition: db.prepare("INSERT OR IGNORE INTO transitions (id, body) VALUES (?, ?)"),
    trimTransitions: db.prepare("DELETE FROM transitions WHERE seq <= (SELECT MAX(seq) FROM transitions) - ?"),
    recent: db.prepare<[number], { body: string }>("SELECT body FROM transitions ORDER BY seq DESC LIMIT ?"),
    enqueue: db.prepare("INSERT OR IGNORE INTO outbox (id, grp, url, body, attempts, next_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)"),
    due: db.prepare<[number, number], { id: string; url: string; body: string; attempts: number; next_at: number; created_at: number }>(
      `SELECT * FROM outbox o WHERE next_at <= ? AND ${HEAD} ORDER BY next_at, seq LIMIT ?`,
    ),
    nextDue: db.prepare<[], { next_at: number | null }>(`SELECT MIN(next_at) AS next_at FROM outbox o WHERE ${HEAD}`),
    outboxSize: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM outbox"),
    reschedule: db.prepare("UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?"),
    sent: db.prepare("DELETE FROM outbox WHERE id = ?"),
    silences: db.prepare<[], { body: string }>("SELECT body FROM silences ORDER BY expires_at"),
    addSilence: db.prepare("INSERT INTO silences (id, body, expires_at) VALUES (?, ?, ?)"),
    deleteSilence: db.prepare("DELETE FROM silences WHERE id = ?"),
    expireSilences: db.prepare("DELETE FROM silences WHERE expires_at <= ?"),
    rules: db.prepare<[], { body: string }>("SELECT body FROM rules ORDER BY name"),
    putRule: db.prepare("INSERT OR REPLACE INTO rules (name, body) VALUES (?, ?)"),
    deleteRule: db.prepare("DELETE FROM rules WHERE name = ?"),
    clearRules: db.prepare("DELETE FROM rules"),
    annotate: db.prepare("INSERT OR IGNORE INTO annotations (ts, end_ts, text, tags, source, dedupe) VALUES (?, ?, ?, ?, ?, ?)"),
    trimAnnotations: db.prepare("DELETE FROM annotations WHERE id <= (SELECT MAX(id) FROM annotations) - ?"),
    // A range annotation shows in every window it overlaps, not only the one holding its start.
    annotations: db.prepare<[number, number, number], { id: number; ts: number; end_ts: number | null; text: string; tags: string; source: "user" | "alert" }>(
      "SELECT * FROM annotations WHERE ts <= ? AND COALESCE(end_ts, ts) >= ? ORDER BY ts, id LIMIT ?",
    ),
  };

  // One identity per data directory, kept across restarts: a restarted instance still owns the
  // notification claims it took before (claims.ts), instead of waiting out their lease.
  let instanceId = stmt.getMeta.get("instance")?.value;
  if (instanceId === undefined) {
    instanceId = randomBytes(8).toString("hex");
    stmt.setMeta.run("instance", instanceId);
  }

  /** A transition, its instance row, its notification and its annotation commit together or not at all. */
  const recordTransition = db.transaction(
    (transition: AlertTransition, instance: InstanceRow | null, notification: { url: string; body: string; at: number } | null, annotation: { text: string; tags: string[] } | null) => {
      if (stmt.addTransition.run(transition.id, JSON.stringify(transition)).changes === 0) return false;
      stmt.trimTransitions.run(maxTransitions);
      if (instance) putInstance(instance);
      else stmt.deleteInstance.run(transition.rule, transition.series);
      if (notification) stmt.enqueue.run(transition.id, `${notification.url}\n${transition.rule}\n${transition.series}`, notification.url, notification.body, notification.at, notification.at);
      if (annotation) {
        stmt.annotate.run(transition.ts, null, annotation.text, JSON.stringify(annotation.tags), "alert", transition.id);
        stmt.trimAnnotations.run(maxAnnotations);
      }
      return true;
    },
  );

  const replaceRules = db.transaction((rules: readonly AlertRule[]) => {
    stmt.clearRules.run();
    for (const rule of rules) stmt.putRule.run(rule.name, JSON.stringify(rule));
  });

  function putInstance(row: InstanceRow) {
    stmt.putInstance.run(row.rule, row.series, row.state, row.since, row.episode, row.pendingSince, row.value, row.lastSeen);
  }

  return {
    file,
    instanceId,
    instances: (): InstanceRow[] =>
      stmt.instances.all().map((r) => ({ rule: r.rule, series: r.series, state: r.state, since: r.since, episode: r.episode, pendingSince: r.pending_since, value: r.value, lastSeen: r.last_seen })),
    /** Removes the stored state of a rule that is gone. */
    forgetRule: (rule: string) => void stmt.deleteRuleInstances.run(rule),
    /** false when this transition id was recorded before (a replay after a restart): nothing else happens. */
    recordTransition: (
      transition: AlertTransition,
      instance: InstanceRow | null,
      notification: { url: string; body: string; at: number } | null,
      annotation: { text: string; tags: string[] } | null,
    ): boolean => recordTransition(transition, instance, notification, annotation),
    recent: (limit: number): AlertTransition[] => stmt.recent.all(limit).map((r) => JSON.parse(r.body) as AlertTransition),
    due: (now: number, limit: number): OutboxRow[] =>
      stmt.due.all(now, limit).map((r) => ({ id: r.id, url: r.url, body: r.body, attempts: r.attempts, nextAt: r.next_at, createdAt: r.created_at })),
    nextDue: (): number | null => stmt.nextDue.get()?.next_at ?? null,
    outboxSize: (): number => stmt.outboxSize.get()?.n ?? 0,
    reschedule: (id: string, attempts: number, nextAt: number) => void stmt.reschedule.run(attempts, nextAt, id),
    /** Delivered (or handed to another instance that delivered it): gone from the outbox. */
    sent: (id: string) => void stmt.sent.run(id),
    silences: (): Silence[] => stmt.silences.all().map((r) => JSON.parse(r.body) as Silence),
    addSilence: (silence: Silence) => void stmt.addSilence.run(silence.id, JSON.stringify(silence), silence.expiresAt),
    deleteSilence: (id: string): boolean => stmt.deleteSilence.run(id).changes > 0,
    expireSilences: (now: number): number => stmt.expireSilences.run(now).changes,
    savedRules: (): AlertRule[] => stmt.rules.all().map((r) => JSON.parse(r.body) as AlertRule),
    saveRule: (rule: AlertRule) => void stmt.putRule.run(rule.name, JSON.stringify(rule)),
    deleteRule: (name: string): boolean => stmt.deleteRule.run(name).changes > 0,
    /** The whole set at once (emptied once Redis mode moved them into Redis). */
    replaceRules: (rules: readonly AlertRule[]) => replaceRules(rules),
    annotate(annotation: { ts: number; endTs: number | null; text: string; tags: string[]; source: "user" | "alert" }): Annotation {
      const info = stmt.annotate.run(annotation.ts, annotation.endTs, annotation.text, JSON.stringify(annotation.tags), annotation.source, null);
      stmt.trimAnnotations.run(maxAnnotations);
      return { id: Number(info.lastInsertRowid), ...annotation };
    },
    annotations: (from: number, to: number, limit: number): Annotation[] =>
      stmt.annotations.all(to, from, limit).map((r) => ({ id: r.id, ts: r.ts, endTs: r.end_ts, text: r.text, tags: JSON.parse(r.tags) as string[], source: r.source })),
    close: () => db.close(),
  };
}

export type AlertDb = ReturnType<typeof openAlertDb>;
