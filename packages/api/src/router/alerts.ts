import { AlertRuleInputSchema, AlertRuleNameSchema, SilenceInputSchema } from "@livedash/events";
import type { TRPCRouterRecord } from "@trpc/server";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { AlertsResult } from "../services";
import { ingestProcedure, readProcedure } from "../trpc";

function orThrow(result: AlertsResult): { ok: true } {
  if (!result.ok) throw new TRPCError({ code: result.code, message: result.message });
  return result;
}

/**
 * Alert rules and silences from the dashboard. Reading needs the read token; changing anything needs
 * the ingest token (whoever may write points may also decide what alerts on them).
 */
export const alertsRouter = {
  /** Every rule with its series' states (silenced ones marked), active silences, recent transitions. */
  list: readProcedure.query(({ ctx }) => ctx.services.alerts.list()),

  /** Creates or replaces a rule kept in the data directory (a rules-file rule cannot be replaced: CONFLICT). */
  saveRule: ingestProcedure.input(AlertRuleInputSchema).mutation(async ({ ctx, input }) => orThrow(await ctx.services.alerts.saveRule(input))),

  deleteRule: ingestProcedure.input(z.object({ name: AlertRuleNameSchema }).strict()).mutation(async ({ ctx, input }) => orThrow(await ctx.services.alerts.deleteRule(input.name))),

  silence: ingestProcedure.input(SilenceInputSchema).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.alerts.silence(input);
    if (!result.ok) throw new TRPCError({ code: "BAD_REQUEST", message: result.message });
    return result.silence;
  }),

  unsilence: ingestProcedure.input(z.object({ id: z.string().min(1, "id must not be empty").max(100, "id must be at most 100 characters") }).strict()).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.alerts.unsilence(input.id))) throw new TRPCError({ code: "NOT_FOUND", message: `no silence ${input.id}` });
    return { ok: true as const };
  }),
} satisfies TRPCRouterRecord;
