import type { TRPCRouterRecord } from "@trpc/server";
import { readProcedure } from "../trpc";

export const systemRouter = {
  info: readProcedure.query(({ ctx }) => ctx.services.info()),
} satisfies TRPCRouterRecord;
