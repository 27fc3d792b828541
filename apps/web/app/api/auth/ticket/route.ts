import { headers } from "next/headers";
import { signInEnabled } from "../../../../lib/auth/auth-state";
import { authErrorResponse, requireSession } from "../../../../lib/auth/guard";
import { mintTicket } from "../../../../lib/auth/mint-ticket";
import { isSameOrigin } from "../../../../lib/auth/request-info";

const NO_STORE = { "cache-control": "no-store" };

/**
 * POST /api/auth/ticket: a signed-in page's short-lived read ticket for the Livedash server (WS
 * connectionParams, SSE URL, poll `Authorization`). 401 when the session is gone: the page then goes
 * to /login?next=... `expiresAt`/`expiresInMs` is the ticket's or the session's end, whichever comes first, so the
 * page asks again (and learns it was signed out) no later than that.
 */
export async function POST(): Promise<Response> {
  if (!isSameOrigin(await headers())) {
    return Response.json({ error: { field: "origin", message: "tickets are for this site's own pages (Origin header)" } }, { status: 403, headers: NO_STORE });
  }
  if (!signInEnabled()) return Response.json({ error: { message: "sign-in is off: the server needs no ticket" } }, { status: 404, headers: NO_STORE });
  let user;
  try {
    user = await requireSession();
  } catch (error) {
    return authErrorResponse(error);
  }
  try {
    const minted = await mintTicket();
    const expiresAt = Math.min(minted.expiresAt, user.expiresAt ?? minted.expiresAt);
    // Relative too: the browser's clock may be off; it counts from when the answer arrived.
    return Response.json({ ticket: minted.ticket, expiresAt, expiresInMs: Math.max(0, expiresAt - Date.now()), user: user.name }, { headers: NO_STORE });
  } catch (cause) {
    console.error(`ticket for ${user.name} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    return Response.json({ error: { message: "the Livedash server did not issue a ticket; see the web app's log" } }, { status: 502, headers: NO_STORE });
  }
}
