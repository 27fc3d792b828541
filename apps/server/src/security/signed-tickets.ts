import { createHmac, timingSafeEqual } from "node:crypto";
import type { TicketIssuer } from "./tokens";

const SIGNED_TICKET_RE = /^read\.(\d{13})\.([A-Za-z0-9_-]{43})$/;

/**
 * Stateless tickets: `read.<expiresAtMs>.<HMAC-SHA256>` keyed by the read token. Every instance that
 * shares the read token can verify a ticket another instance issued, so SSE works behind a load
 * balancer without sticky sessions (a ticket from A opens a stream on C).
 */
export function createSignedTicketIssuer(readToken: string, options: { ttlMs?: number; now?: () => number } = {}): TicketIssuer {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  // Derived, so the ticket key is never the token itself.
  const key = createHmac("sha256", "livedash-ticket").update(readToken).digest();
  const sign = (expiresAt: number) => createHmac("sha256", key).update(`read.${expiresAt}`).digest("base64url");
  const expiresAtOf = (ticket: string): number | null => {
    const match = typeof ticket === "string" ? SIGNED_TICKET_RE.exec(ticket) : null;
    if (!match) return null;
    const expiresAt = Number(match[1]);
    if (!(expiresAt > now())) return null;
    const expected = Buffer.from(sign(expiresAt));
    const given = Buffer.from(match[2]!);
    return expected.length === given.length && timingSafeEqual(expected, given) ? expiresAt : null;
  };
  return {
    issue() {
      const expiresAt = now() + ttlMs;
      return { ticket: `read.${expiresAt}.${sign(expiresAt)}`, expiresAt };
    },
    verify: (ticket) => expiresAtOf(ticket) !== null,
    expiresAt: expiresAtOf,
    size: () => 0,
  };
}
