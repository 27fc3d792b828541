import { z } from "zod";
import { authState } from "./auth-state";

const TicketAnswerSchema = z.object({
  result: z.object({ data: z.object({ ticket: z.string().min(1).max(200), expiresAt: z.number().int().positive() }) }),
});

/** How long the ticket call to the Livedash server may take. @default 5000 */
const TICKET_TIMEOUT_MS = 5_000;

/**
 * Asks the Livedash server's `auth.ticket` for a short-lived read ticket, with the read token that
 * only this (Next) server holds. The ticket reads and subscribes for 60 s; it cannot issue tickets
 * or write (docs/security.md).
 */
export async function mintTicket(): Promise<{ ticket: string; expiresAt: number }> {
  const { env } = authState();
  if (env.readToken === null) throw new Error("no LIVEDASH_READ_TOKEN: sign-in is off, no tickets needed");
  const res = await fetch(`${env.internalServerUrl}/trpc/auth.ticket`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.readToken}`, "content-type": "application/json" },
    body: "null",
    cache: "no-store",
    signal: AbortSignal.timeout(TICKET_TIMEOUT_MS),
  });
  const body: unknown = await res.json().catch(() => null);
  const parsed = TicketAnswerSchema.safeParse(body);
  if (!res.ok || !parsed.success) {
    throw new Error(`auth.ticket at ${env.internalServerUrl} answered HTTP ${res.status}${res.status === 401 ? " (is LIVEDASH_READ_TOKEN the server's read token?)" : ""}`);
  }
  return parsed.data.result.data;
}
