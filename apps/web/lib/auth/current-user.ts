import { timingSafeEqual, createHash } from "node:crypto";
import { authState } from "./auth-state";
import { SESSION_COOKIE, verifySessionCookie } from "./cookie";
import { PROXY_SECRET_HEADER } from "./proxy-header";
import type { HeaderReader } from "./request-info";
import type { SignedInUser } from "./roles";
import { USER_NAME_RE } from "./users-file";


/** Everyone, when sign-in is off (no read token): the loopback default of `npm start`. */
const OPEN_USER: SignedInUser = { name: "anonymous", role: "admin", via: "open", sessionId: null, expiresAt: null };

function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/**
 * Who sent this request: the open user when sign-in is off; else the auth proxy's user (when that
 * mode is on and the request carries the proxy's secret), else the user of a live session cookie;
 * null when none of these holds.
 */
export async function userFromRequest(headers: HeaderReader, cookie: string | undefined): Promise<SignedInUser | null> {
  const state = authState();
  if (state.env.readToken === null || state.cookieKey === null) return OPEN_USER;
  const proxy = state.env.authProxy;
  if (proxy !== null) {
    const name = headers.get(proxy.userHeader)?.trim();
    const secret = headers.get(PROXY_SECRET_HEADER);
    if (name && secret !== null && secretsEqual(secret, proxy.secret) && USER_NAME_RE.test(name)) {
      const listed = state.env.usersFile !== null || state.env.adminPassword !== null ? (await state.users()).roleOf(name) : null;
      return { name, role: listed ?? proxy.defaultRole, via: "proxy", sessionId: null, expiresAt: null };
    }
  }
  const signed = verifySessionCookie(state.cookieKey, cookie, Date.now());
  if (signed === null) return null;
  const session = state.sessions.get(signed.sessionId);
  if (session === null) return null;
  return { name: session.user, role: session.role, via: "session", sessionId: session.id, expiresAt: session.expiresAt };
}

/** The same, for a Server Component, Server Action or route handler (reads next/headers). */
export async function currentUser(): Promise<SignedInUser | null> {
  const { cookies, headers } = await import("next/headers");
  const [jar, list] = await Promise.all([cookies(), headers()]);
  return userFromRequest(list, jar.get(SESSION_COOKIE)?.value);
}
