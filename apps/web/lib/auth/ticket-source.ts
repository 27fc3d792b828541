/**
 * Browser side of sign-in: the page never holds the read token; it asks this site's
 * POST /api/auth/ticket for a short-lived ticket whenever the client needs one.
 */

/** Set on <html> by the root layout when sign-in is on (carries no secret). */
export const SIGN_IN_ATTRIBUTE = "data-signin";

export interface TicketAnswer {
  ticket: string;
  /** How long the ticket (or the session, if it ends first) is good for, from now. */
  expiresInMs: number;
}

/** True on a page the root layout marked as needing tickets. */
export function pageNeedsTickets(): boolean {
  return typeof document !== "undefined" && document.documentElement.getAttribute(SIGN_IN_ATTRIBUTE) === "on";
}

/** Where a page whose session ended goes: the sign-in page, then back here. */
export function signInAgainUrl(location: { pathname: string; search: string }): string {
  return `/login?next=${encodeURIComponent(`${location.pathname}${location.search}`)}`;
}

/**
 * Fetches a ticket for the Livedash client. On 401 (session expired or signed out) the page goes to
 * /login?next=<this page> and the call fails, so nothing keeps running on a dead session.
 */
export async function fetchSessionTicket(): Promise<TicketAnswer> {
  const res = await fetch("/api/auth/ticket", { method: "POST", credentials: "same-origin", cache: "no-store" });
  if (res.status === 401) {
    window.location.assign(signInAgainUrl(window.location));
    throw new Error("signed out: the session expired or was ended; going to the sign-in page");
  }
  const body = (await res.json().catch(() => null)) as { ticket?: unknown; expiresInMs?: unknown; error?: { message?: unknown } } | null;
  if (!res.ok || typeof body?.ticket !== "string" || typeof body.expiresInMs !== "number") {
    throw new Error(`ticket: HTTP ${res.status}${typeof body?.error?.message === "string" ? `, ${body.error.message}` : ""}`);
  }
  return { ticket: body.ticket, expiresInMs: body.expiresInMs };
}
