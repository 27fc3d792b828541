import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, as RFC 6750 says),
 * or undefined when the header is absent, empty or another scheme.
 */
export function extractBearer(header?: string | null): string | undefined {
  if (!header) return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Compares two secrets in time independent of where they differ. Both sides are hashed first so
 * that neither the length nor a common prefix leaks through timing (timingSafeEqual alone throws
 * on different lengths, and an early length check would tell an attacker the token's length).
 */
export function tokensEqual(a: string, b: string): boolean {
  const digestA = createHash("sha256").update(a, "utf8").digest();
  const digestB = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(digestA, digestB);
}

export type TicketScope = "read";

export interface TicketIssuerOptions {
  /**
   * How long a ticket stays valid. Long enough for EventSource to connect and to reconnect after a
   * blip with the same URL; short enough that one found in a log is useless soon after.
   * @default 60_000
   */
  readonly ttlMs?: number;
  /** Live tickets kept; beyond it the oldest is forgotten (memory stays bounded). @default 10_000 */
  readonly maxTickets?: number;
  /** Clock in epoch ms, injectable for tests. @default Date.now */
  readonly now?: () => number;
}

export interface IssuedTicket {
  /** 32 random bytes, base64url (43 characters): safe in a URL query without encoding. */
  readonly ticket: string;
  /** Epoch ms after which verify() refuses it. */
  readonly expiresAt: number;
}

export interface TicketIssuer {
  issue(scope?: TicketScope): IssuedTicket;
  /** true while the ticket is known and not expired. A ticket may be used more than once until then (EventSource reconnects reuse the URL). */
  verify(ticket: string): boolean;
  /** When a valid ticket expires (epoch ms), or null when it is not valid: a stream it opened ends then. */
  expiresAt(ticket: string): number | null;
  /** Live tickets currently stored (for /metrics and tests). */
  size(): number;
}

const TICKET_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Short-lived tickets for clients that cannot send headers (EventSource): a client with the read
 * token calls `auth.ticket` over a normal request, then puts the ticket in the SSE URL instead of the
 * long-lived token. Tickets live in this process only; behind a load balancer without sticky
 * sessions, use createSignedTicketIssuer (signed-tickets.ts), which the server does whenever a read token is set.
 */
export function createTicketIssuer(options: TicketIssuerOptions = {}): TicketIssuer {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxTickets = options.maxTickets ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order is expiry order (one ttl for all), so the oldest entries are always first.
  const tickets = new Map<string, number>();

  const pruneExpired = (nowMs: number) => {
    for (const [ticket, expiresAt] of tickets) {
      if (expiresAt > nowMs) break;
      tickets.delete(ticket);
    }
  };

  const expiresAt = (ticket: string): number | null => {
    if (typeof ticket !== "string" || !TICKET_RE.test(ticket)) return null;
    const nowMs = now();
    pruneExpired(nowMs);
    const at = tickets.get(ticket);
    return at !== undefined && at > nowMs ? at : null;
  };

  return {
    issue() {
      const nowMs = now();
      pruneExpired(nowMs);
      while (tickets.size >= maxTickets) {
        const oldest = tickets.keys().next();
        if (oldest.done) break;
        tickets.delete(oldest.value);
      }
      const ticket = randomBytes(32).toString("base64url");
      const expiresAt = nowMs + ttlMs;
      tickets.set(ticket, expiresAt);
      return { ticket, expiresAt };
    },
    verify: (ticket) => expiresAt(ticket) !== null,
    expiresAt,
    size() {
      pruneExpired(now());
      return tickets.size;
    },
  };
}

/**
 * Removes secrets from text bound for a log: `Authorization: Bearer x`, `token=`/`ticket=`/
 * `connectionParams=` query values, and any of the given secret values wherever they appear.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/(Bearer\s+)[^\s,;"']+/gi, "$1[redacted]")
    .replace(/([?&](?:token|ticket|connectionParams)=)[^&\s#]*/gi, "$1[redacted]")
    .replace(/("(?:token|ticket)"\s*:\s*")[^"]*(")/gi, "$1[redacted]$2");
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join("[redacted]");
  }
  return out;
}
