import { createHmac, timingSafeEqual } from "node:crypto";

/** The session cookie's name. Its value is `<session id>.<expiresAt ms>.<HMAC-SHA256>`. */
export const SESSION_COOKIE = "livedash_session";

const COOKIE_RE = /^([A-Za-z0-9_-]{43})\.(\d{13})\.([A-Za-z0-9_-]{43})$/;

/**
 * The cookie signing key, derived from the read token (the one secret this server already has), so
 * proxy.ts, which runs apart from the route code, can check signatures without shared state. The key
 * is never the token itself; changing the token invalidates every cookie.
 */
export function cookieKeyFor(readToken: string): Buffer {
  return createHmac("sha256", "livedash-session-cookie").update(readToken).digest();
}

function mac(key: Buffer, sessionId: string, expiresAt: number): string {
  return createHmac("sha256", key).update(`${sessionId}.${expiresAt}`).digest("base64url");
}

export function signSessionCookie(key: Buffer, sessionId: string, expiresAt: number): string {
  return `${sessionId}.${expiresAt}.${mac(key, sessionId, expiresAt)}`;
}

/**
 * The session id and expiry of a cookie value whose signature is right and which has not expired;
 * null otherwise. Signatures are compared in constant time. This proves the cookie came from us, not
 * that the session still exists: sign-out revokes it in the session store, which route code checks.
 */
export function verifySessionCookie(key: Buffer, value: string | undefined, nowMs: number): { sessionId: string; expiresAt: number } | null {
  const match = value === undefined || value.length > 120 ? null : COOKIE_RE.exec(value);
  if (!match) return null;
  const sessionId = match[1]!;
  const expiresAt = Number(match[2]);
  const expected = Buffer.from(mac(key, sessionId, expiresAt));
  const given = Buffer.from(match[3]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return expiresAt > nowMs ? { sessionId, expiresAt } : null;
}
