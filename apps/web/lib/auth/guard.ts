import { redirect } from "next/navigation";
import { currentUser } from "./current-user";
import type { SignedInUser } from "./roles";
import { canWrite } from "./roles";
import { loginPath } from "./login-path";

/** Thrown by the guards; route handlers turn it into a JSON answer with `authErrorResponse`. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 403,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

/**
 * First line of every Server Action and route handler that reads on the user's behalf. With sign-in
 * off (no LIVEDASH_READ_TOKEN) everyone passes; with it on, the request needs a live session (or the
 * auth proxy's user). Throws AuthError(401) otherwise.
 */
export async function requireSession(): Promise<SignedInUser> {
  const user = await currentUser();
  if (user === null) throw new AuthError("sign in first: no session, or it expired or was signed out", 401);
  return user;
}

/**
 * First line of every Server Action and route handler that changes something (alert rules,
 * silences, annotations): requireSession, and the role must be admin or editor (viewers read only).
 */
export async function requireWriter(): Promise<SignedInUser> {
  const user = await requireSession();
  if (!canWrite(user.role)) throw new AuthError(`user ${user.name} is a viewer: changing things needs the editor or admin role`, 403);
  return user;
}

/** For pages: the user, or a redirect to /login?next=<this page> (never a blank dashboard). */
export async function requirePageUser(nextPath: string): Promise<SignedInUser> {
  const user = await currentUser();
  if (user === null) redirect(loginPath(nextPath));
  return user;
}

/** A route handler's answer to an AuthError (rethrows anything else). */
export function authErrorResponse(error: unknown): Response {
  if (error instanceof AuthError) {
    return Response.json({ error: { message: error.message } }, { status: error.status, headers: { "cache-control": "no-store" } });
  }
  throw error;
}
