import type { DashboardClient, OpenClientOptions } from "./client-types";
import { fetchSessionTicket, pageNeedsTickets } from "./auth/ticket-source";
import { openLivedashAdapter } from "./livedash-adapter";

/**
 * The one place the dashboard picks its client implementation. With sign-in on (the root layout
 * marks the page), every transport authenticates with short-lived tickets from /api/auth/ticket.
 */
export function openClient(options: OpenClientOptions): DashboardClient {
  const ticket = options.ticket ?? (pageNeedsTickets() ? fetchSessionTicket : undefined);
  return openLivedashAdapter({ ...options, ticket });
}
