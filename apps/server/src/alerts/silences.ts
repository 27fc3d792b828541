import { randomUUID } from "node:crypto";
import type { Silence, SilenceInputSchema } from "@livedash/events";
import type { z } from "zod";
import type { AlertDb } from "./alert-db";
import { labelsOf } from "./selector";

/** Silences most held at once: each is tested against every transition. */
export const MAX_SILENCES = 1_000;

/**
 * Silences by rule, by labels of the series, or both. A silenced alert is still evaluated, listed and
 * streamed (marked silenced); only its notifications are held back. Kept in alerts.db, so they
 * outlive a restart; expired ones are deleted at the next tick.
 */
export function createSilences(db: AlertDb) {
  let active: Silence[] = db.silences();

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
    add(input: z.output<typeof SilenceInputSchema>, now: number): { ok: true; silence: Silence } | { ok: false; message: string } {
      if (active.length >= MAX_SILENCES) return { ok: false, message: `at most ${MAX_SILENCES} silences at once; delete or let some expire` };
      const expiresAt = input.expiresAt ?? now + (input.duration ?? 0);
      if (expiresAt <= now) return { ok: false, message: "expiresAt: the silence would already be over" };
      const silence: Silence = { id: randomUUID(), rule: input.rule ?? null, labels: input.labels ?? null, reason: input.reason, createdAt: now, expiresAt };
      db.addSilence(silence);
      active = db.silences();
      return { ok: true, silence };
    },
    remove(id: string): boolean {
      const removed = db.deleteSilence(id);
      active = db.silences();
      return removed;
    },
    expire(now: number) {
      if (db.expireSilences(now) > 0) active = db.silences();
    },
  };
}
