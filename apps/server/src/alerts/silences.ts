import { randomUUID } from "node:crypto";
import type { Silence, SilenceInputSchema } from "@livedash/events";
import type { z } from "zod";
import type { AlertDb } from "./alert-db";
import type { SharedSilences } from "./claims";
import { labelsOf } from "./selector";

/** Silences most held at once: each is tested against every transition. */
export const MAX_SILENCES = 1_000;

/**
 * Silences by rule, by labels of the series, or both. A silenced alert is still evaluated, listed and
 * streamed (marked silenced); only its notifications are held back. Kept in alerts.db, so they
 * outlive a restart; expired ones are deleted at the next tick. With Redis they are kept there instead,
 * shared by every instance (any one may send a notification): each instance re-reads them every tick
 * and at once after its own change.
 */
export function createSilences(db: AlertDb, shared: SharedSilences | undefined, log: { warn(o: object, m: string): void }) {
  let active: Silence[] = shared ? [] : db.silences();

  async function refresh() {
    if (!shared) {
      active = db.silences();
      return;
    }
    try {
      active = await shared.load();
    } catch (error) {
      // The last known silences stay in force until Redis answers again.
      log.warn({ err: error }, "silences not refreshed from redis");
    }
  }

  return {
    list: (now: number): Silence[] => active.filter((s) => s.expiresAt > now),
    /** Ids of the silences that cover (rule, series) at `now`. */
    matching(rule: string, series: string, now: number): string[] {
      const out: string[] = [];
      let labels: Readonly<Record<string, string>> | null = null;
      for (const silence of active) {
        if (silence.expiresAt <= now) continue;
        if (silence.rule !== null && silence.rule !== rule) continue;
        if (silence.labels !== null) {
          labels ??= labelsOf(series);
          const wanted = silence.labels;
          if (!Object.keys(wanted).every((name) => labels?.[name] === wanted[name])) continue;
        }
        out.push(silence.id);
      }
      return out;
    },
    refresh,
    async add(input: z.output<typeof SilenceInputSchema>, now: number): Promise<{ ok: true; silence: Silence } | { ok: false; message: string }> {
      if (active.length >= MAX_SILENCES) return { ok: false, message: `at most ${MAX_SILENCES} silences at once; delete or let some expire` };
      const expiresAt = input.expiresAt ?? now + (input.duration ?? 0);
      if (expiresAt <= now) return { ok: false, message: "expiresAt: the silence would already be over" };
      const silence: Silence = { id: randomUUID(), rule: input.rule ?? null, labels: input.labels ?? null, reason: input.reason, createdAt: now, expiresAt };
      if (shared) await shared.put(silence);
      else db.addSilence(silence);
      await refresh();
      return { ok: true, silence };
    },
    async remove(id: string): Promise<boolean> {
      const removed = shared ? await shared.remove(id) : db.deleteSilence(id);
      await refresh();
      return removed;
    },
    /** Drops expired silences (Redis: the next load drops them there) and re-reads the shared ones. */
    async expire(now: number) {
      if (!shared) {
        if (db.expireSilences(now) > 0) active = db.silences();
        return;
      }
      await refresh();
    },
  };
}
