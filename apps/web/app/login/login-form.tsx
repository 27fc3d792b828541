"use client";
import { useActionState } from "react";
import type { SignInFormState } from "./actions";
import { signInAction } from "./actions";

export function LoginForm({ next }: { next: string }) {
  const [state, action, pending] = useActionState<SignInFormState, FormData>(signInAction, { error: null });
  return (
    <form action={action} className="login-form" data-testid="login-form">
      <input type="hidden" name="next" value={next} />
      <label>
        User
        <input name="user" autoComplete="username" required maxLength={64} autoFocus />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required maxLength={1024} />
      </label>
      {state.error !== null ? (
        <p role="alert" className="login-error" data-testid="login-error">
          {state.error}
        </p>
      ) : null}
      <button type="submit" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
