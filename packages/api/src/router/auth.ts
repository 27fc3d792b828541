import type { TRPCRouterRecord } from "@trpc/server";
import { TRPCError } from "@trpc/server";
import { readProcedure } from "../trpc";

export const authRouter = {
  /**
   * A short-lived ticket for EventSource, which cannot send headers: the browser puts the ticket, never
   * the long-lived token, in the SSE URL. Only the token issues them: if a ticket could mint the next
   * one, a leaked ticket would live forever.
   */
  ticket: readProcedure.mutation(({ ctx }) => {
    if (ctx.auth.ticketOnly) {
      throw new TRPCError({ code: "FORBIDDEN", message: "auth.ticket needs the read token; a ticket cannot issue tickets" });
    }
    return ctx.services.tickets.issue();
  }),
} satisfies TRPCRouterRecord;
