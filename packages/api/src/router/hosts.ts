import { HostsLiveInputSchema, HostsPollInputSchema } from "@livedash/events";
import type { TRPCRouterRecord } from "@trpc/server";
import { tracked } from "@trpc/server";
import { readProcedure } from "../trpc";
import { countedPoll } from "./poll";

/**
 * The fleet view: every host that reports (its `host` label), up or down, with its latest CPU, memory
 * and load. Reads, so the read token or a ticket grants them like metrics.*.
 */
export const hostsRouter = {
  list: readProcedure.query(({ ctx }) => ctx.services.hosts.list()),

  /**
   * Snapshots: the current one at once (also on resume: each event is the whole fleet, so `lastEventId`
   * needs no replay), then one per state change and at most one per second while values move.
   */
  live: readProcedure.input(HostsLiveInputSchema).subscription(async function* ({ ctx, signal }) {
    for await (const { id, event } of ctx.services.hosts.events(signal)) yield tracked(id, event);
  }),

  /** The long-poll twin of hosts.live, for the client's poll transport. */
  poll: readProcedure.input(HostsPollInputSchema).query(({ ctx, input, signal }) => countedPoll(ctx.services, () => ctx.services.hosts.poll(input, signal))),
} satisfies TRPCRouterRecord;
