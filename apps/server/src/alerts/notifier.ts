import type { AlertDb, OutboxRow } from "./alert-db";
import type { Claims } from "./claims";

export interface NotifierOptions {
  /** First retry delay; doubled per failed attempt (with jitter) up to retryMaxMs. @default 1_000 */
  retryBaseMs?: number;
  /** @default 60_000 */
  retryMaxMs?: number;
  /**
   * How long another instance waits before it may take over a notification this one claimed
   * (claims.ts). Longer than retryMaxMs, so a live holder always extends it in time.
   * @default 300_000
   */
  leaseMs?: number;
  /** A notification still unsent after this long is dropped (logged, counted). @default 86_400_000 */
  maxAgeMs?: number;
  /** One POST may take this long. @default 10_000 */
  timeoutMs?: number;
  /** Notifications sent at once (in parallel). @default 8 */
  concurrency?: number;
}

export interface NotifierStats {
  sent: number;
  failedAttempts: number;
  /** Given up: too old, or refused for good (a 4xx other than 408/429). */
  dropped: number;
  /** Left to another instance that claimed them and sent. */
  handedOff: number;
}

/**
 * Sends the outbox of alerts.db: each row is one notification of one transition, written in the same
 * transaction as the transition, deleted only once a receiver answered 2xx (or another instance
 * sent it). So a receiver outage, a crash or a restart never loses one, and a row is sent again only
 * if the process died between the receiver's answer and the delete (at-least-once, with the
 * transition id in the body for receivers that dedupe).
 */
export function createNotifier(db: AlertDb, claims: Claims, log: { warn(o: object, m: string): void; error(o: object, m: string): void }, options: NotifierOptions = {}) {
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const leaseMs = Math.max(options.leaseMs ?? 300_000, retryMaxMs * 2);
  const maxAgeMs = options.maxAgeMs ?? 86_400_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const concurrency = options.concurrency ?? 8;
  const stats: NotifierStats = { sent: 0, failedAttempts: 0, dropped: 0, handedOff: 0 };
  const inFlight = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const abort = new AbortController();

  function backoff(attempts: number): number {
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    // Equal jitter: at least half the delay, so retries never bunch up at zero.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  async function post(row: OutboxRow): Promise<{ ok: true } | { ok: false; permanent: boolean; reason: string }> {
    try {
      const res = await fetch(row.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "livedash-alerts", "x-livedash-notification": row.id },
        body: row.body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), abort.signal]),
        redirect: "error",
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { ok: true };
      return { ok: false, permanent: res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429, reason: `HTTP ${res.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, permanent: false, reason: cause ?? (error as Error).name };
    }
  }

  async function deliver(row: OutboxRow) {
    const now = Date.now();
    if (now - row.createdAt > maxAgeMs) {
      stats.dropped++;
      log.error({ id: row.id, url: row.url, attempts: row.attempts }, "alert notification dropped: unsent for longer than its maximum age");
      db.sent(row.id);
      return;
    }
    let claim: "mine" | "taken" | "done";
    try {
      claim = await claims.claim(row.id, leaseMs);
    } catch (error) {
      // No claim, no send: better late than twice. Look again shortly.
      log.warn({ id: row.id, err: error }, "alert notification waits: cannot claim it (redis)");
      db.reschedule(row.id, row.attempts, Date.now() + retryBaseMs);
      return;
    }
    if (claim === "done") {
      stats.handedOff++;
      db.sent(row.id);
      return;
    }
    if (claim === "taken") {
      db.reschedule(row.id, row.attempts, Date.now() + leaseMs);
      return;
    }
    const result = await post(row);
    if (closed && !result.ok) return;
    if (result.ok) {
      stats.sent++;
      db.sent(row.id);
      await claims.done(row.id).catch((error: unknown) => log.warn({ id: row.id, err: error }, "alert notification sent, but its done mark did not reach redis"));
      return;
    }
    stats.failedAttempts++;
    const attempts = row.attempts + 1;
    if (result.permanent) {
      stats.dropped++;
      log.error({ id: row.id, url: row.url, reason: result.reason }, "alert notification refused by its receiver; not retried");
      db.sent(row.id);
      return;
    }
    const delay = backoff(attempts);
    if (attempts === 1 || attempts % 10 === 0) log.warn({ id: row.id, url: row.url, reason: result.reason, attempts, retryInMs: delay }, "alert notification failed; retrying");
    db.reschedule(row.id, attempts, Date.now() + delay);
  }

  async function runOnce() {
    do {
      again = false;
      const rows = db.due(Date.now(), concurrency * 4).filter((row) => !inFlight.has(row.id));
      for (let i = 0; i < rows.length && !closed; i += concurrency) {
        await Promise.all(
          rows.slice(i, i + concurrency).map(async (row) => {
            inFlight.add(row.id);
            try {
              await deliver(row);
            } finally {
              inFlight.delete(row.id);
            }
          }),
        );
      }
      if (rows.length === concurrency * 4) again = true;
    } while (again && !closed);
  }

  function schedule() {
    if (closed) return;
    if (timer) clearTimeout(timer);
    const next = db.nextDue();
    if (next === null) return;
    timer = setTimeout(kick, Math.max(0, Math.min(next - Date.now(), 2_147_483_647)));
    timer.unref();
  }

  function kick() {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce()
      .catch((error: unknown) => log.error({ err: error }, "alert notifier failed"))
      .finally(() => {
        running = null;
        schedule();
      });
  }

  return {
    /** Sends what is due now (a transition just queued one; also at start, for what a restart left). */
    kick,
    stats: (): NotifierStats => ({ ...stats }),
    /** Stops; a POST in flight is cut and stays in the outbox for the next start. */
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      abort.abort();
      await running;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
