import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure } from "../trpc";

export const authRouter = {
  /**
   * A short-lived ticket for EventSource, which cannot send headers: the browser puts the ticket, never
   * the long-lived token, in the SSE URL.
   */
  ticket: readProcedure.mutation(({ ctx }) => ctx.services.tickets.issue()),
} satisfies TRPCRouterRecord;
