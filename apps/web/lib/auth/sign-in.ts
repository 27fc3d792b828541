import { MAX_CONCURRENT_VERIFICATIONS, authState } from "./auth-state";
import { signSessionCookie } from "./cookie";
import type { HeaderReader } from "./request-info";
import { clientAddress } from "./request-info";

export type SignInResult =
  | { readonly ok: true; readonly cookieValue: string; readonly expiresAt: number; readonly user: string }
  | { readonly ok: false; readonly error: string };

/** Form input limits: a password longer than this is not hashed at all (argon2 cost grows with input). */
export const MAX_PASSWORD_CHARS = 1024;

const WRONG = "wrong user name or password";

function waitText(ms: number): string {
  return `too many failed sign-ins; try again in ${Math.max(1, Math.ceil(ms / 1000))} s`;
}

/**
 * Checks a user name and password, with the limits: per address and per listed user (failures in a
 * 5-minute window), and at most MAX_CONCURRENT_VERIFICATIONS argon2 checks at once. On success it
 * creates a server-side session and returns the signed cookie value.
 */
export async function attemptSignIn(rawName: unknown, rawPassword: unknown, headers: HeaderReader): Promise<SignInResult> {
  const state = authState();
  if (state.cookieKey === null) return { ok: false, error: "sign-in is off (the web app has no LIVEDASH_READ_TOKEN)" };
  const name = typeof rawName === "string" ? rawName.trim() : "";
  const password = typeof rawPassword === "string" ? rawPassword : "";
  if (name === "" || name.length > 64) return { ok: false, error: "user name: 1 to 64 characters" };
  if (password === "" || password.length > MAX_PASSWORD_CHARS) return { ok: false, error: `password: 1 to ${MAX_PASSWORD_CHARS} characters` };
  let users;
  try {
    users = await state.users();
  } catch (error) {
    // The details (a path, a field) are for the operator's log, not for whoever opens /login.
    console.error(`sign-in: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, error: "sign-in is not configured correctly; the web app's log says why" };
  }
  const addressKey = `ip:${clientAddress(headers)}`;
  const userKey = `user:${name.toLowerCase()}`;
  const byName = users.has(name) ? state.byUser : state.byUnknownUser;
  const wait = Math.max(state.byAddress.retryAfterMs(addressKey), byName.retryAfterMs(userKey));
  if (wait > 0) return { ok: false, error: waitText(wait) };
  if (state.verifying >= MAX_CONCURRENT_VERIFICATIONS) return { ok: false, error: "too many sign-ins at this moment; try again in a second" };
  state.verifying++;
  let user;
  try {
    user = await users.check(name, password);
  } finally {
    state.verifying--;
  }
  if (user === null) {
    state.byAddress.fail(addressKey);
    byName.fail(userKey);
    return { ok: false, error: WRONG };
  }
  state.byUser.clear(userKey);
  const session = state.sessions.create(user.name, user.role);
  return { ok: true, cookieValue: signSessionCookie(state.cookieKey, session.id, session.expiresAt), expiresAt: session.expiresAt, user: user.name };
}
