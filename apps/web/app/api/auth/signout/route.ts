import { cookies, headers } from "next/headers";
import { authState } from "../../../../lib/auth/auth-state";
import { SESSION_COOKIE } from "../../../../lib/auth/cookie";
import { currentUser } from "../../../../lib/auth/current-user";
import { isSameOrigin } from "../../../../lib/auth/request-info";

/**
 * POST /api/auth/signout (the top bar's form): revokes the session in the server-side store, so
 * the cookie stops working even if someone kept a copy, then clears it and goes to /login.
 * POST only, and only from this site's own pages (Origin check): a link or another site cannot sign
 * anyone out.
 */
export async function POST(): Promise<Response> {
  const list = await headers();
  if (!isSameOrigin(list)) {
    return Response.json({ error: { field: "origin", message: "sign-out must come from this site's own page (Origin header)" } }, { status: 403 });
  }
  const user = await currentUser();
  if (user?.sessionId) authState().sessions.revoke(user.sessionId);
  (await cookies()).delete(SESSION_COOKIE);
  return new Response(null, { status: 303, headers: { location: "/login", "cache-control": "no-store" } });
}
