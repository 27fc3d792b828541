import type { Point, SeriesInfo } from "@livedash/events";
import { ConfigError } from "../config";
import type { LivedashConfig } from "../config";
import type { InProcessLive } from "../live/in-process";
import type { Logger } from "../logger";
import { openAlertDb } from "./alert-db";
import { createAlerts } from "./alerts-service";
import type { AlertsOptions } from "./alerts-service";
import { createRedisClaims, localClaims } from "./claims";
import { loadRulesFileSync } from "./rules-file";

export type { Alerts, AlertsOptions, SaveResult } from "./alerts-service";

/**
 * Reads the rules file once, at start: a file with an error refuses the start (naming the rule and
 * field), as Prometheus does; later edits with an error keep the previous rules running instead.
 */
export function loadAlertRules(config: LivedashConfig) {
  const path = config.alerts.rulesFile;
  if (path === null) return null;
  const loaded = loadRulesFileSync(path);
  if (!loaded.ok) throw new ConfigError(`LIVEDASH_ALERT_RULES ${path}: ${loaded.message}`);
  return { path, text: loaded.text ?? "", rules: loaded.rules };
}

/** Builds the alerts of one server: alerts.db in the data directory (in memory with LIVEDASH_STORAGE=memory). */
export function buildAlerts(
  config: LivedashConfig,
  rulesFile: ReturnType<typeof loadAlertRules>,
  deps: { live: InProcessLive; publish(points: readonly Point[]): Promise<unknown>; catalog(): SeriesInfo[]; log: Logger; baseUrl(): string },
  options: AlertsOptions = {},
) {
  const db = openAlertDb(config.storage.kind === "disk" ? config.storage.dataDir : null);
  const claims = config.redisUrl ? createRedisClaims(config.redisUrl, db.instanceId) : localClaims;
  return createAlerts({ ...deps, rulesFile, defaultWebhook: config.alerts.webhook, db, claims }, options);
}
