"use server";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE } from "../../lib/auth/cookie";
import { safeNextPath } from "../../lib/auth/login-path";
import { isHttps } from "../../lib/auth/request-info";
import { attemptSignIn } from "../../lib/auth/sign-in";

export interface SignInFormState {
  error: string | null;
}

/**
 * The sign-in form's action. Server Actions get Next's Origin/Host check, so another site cannot
 * post this form (login CSRF). On success: the session cookie (httpOnly, SameSite=Lax, Secure under
 * https, expiring with the session), then the page the user was sent here from.
 */
export async function signInAction(_previous: SignInFormState, form: FormData): Promise<SignInFormState> {
  const list = await headers();
  const result = await attemptSignIn(form.get("user"), form.get("password"), list);
  if (!result.ok) return { error: result.error };
  const jar = await cookies();
  jar.set(SESSION_COOKIE, result.cookieValue, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(list),
    path: "/",
    expires: new Date(result.expiresAt),
  });
  const next = form.get("next");
  redirect(safeNextPath(typeof next === "string" ? next : "/"));
}
