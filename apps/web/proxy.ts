import type { NextRequest } from "next/server";
import { NextResponse } from "next/server";
import { SESSION_COOKIE, cookieKeyFor, verifySessionCookie } from "./lib/auth/cookie";
import { PROXY_SECRET_HEADER } from "./lib/auth/proxy-header";
import { loginPath } from "./lib/auth/login-path";
import { readAuthEnv } from "./lib/server-env";

/** Paths that work without a session: the sign-in page and its API. */
const PUBLIC_PATHS = ["/login", "/api/auth/"];

/**
 * The first gate, before any page renders: with sign-in on, a request without a validly signed,
 * unexpired session cookie goes to /login?next=<where it was going> (an API call gets 401 JSON), so
 * a wrong or expired session never shows a blank dashboard. It runs apart from the route code, so it
 * checks only the signature and expiry; pages and route handlers then check that the session still
 * exists (sign-out revokes it) through lib/auth/guard.ts.
 */
export function proxy(request: NextRequest): NextResponse {
  const env = readAuthEnv();
  if (env.readToken === null) return NextResponse.next();
  const { pathname, search } = request.nextUrl;
  if (PUBLIC_PATHS.some((p) => pathname === p || (p.endsWith("/") && pathname.startsWith(p)))) return NextResponse.next();
  // Auth-proxy mode: the page checks the secret and the user header itself.
  if (env.authProxy !== null && request.headers.has(PROXY_SECRET_HEADER)) return NextResponse.next();
  if (verifySessionCookie(cookieKeyFor(env.readToken), request.cookies.get(SESSION_COOKIE)?.value, Date.now()) !== null) return NextResponse.next();
  if (pathname.startsWith("/api/")) {
    return NextResponse.json({ error: { message: "sign in first: no session, or it expired" } }, { status: 401, headers: { "cache-control": "no-store" } });
  }
  return NextResponse.redirect(new URL(loginPath(`${pathname}${search}`), request.url));
}

export const config = {
  // Not for static assets: the login page needs its CSS and JS.
  matcher: ["/((?!_next/static|_next/image|icon.svg|favicon.ico).*)"],
};
