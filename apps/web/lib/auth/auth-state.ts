import type { AuthEnv } from "../server-env";
import { readAuthEnv } from "../server-env";
import { cookieKeyFor } from "./cookie";
import { LoginLimiter } from "./login-limiter";
import { SessionStore } from "./session-store";
import type { UserDirectory } from "./user-directory";
import { loadUserDirectory } from "./user-directory";

/** Everything sign-in keeps while the web app runs. */
export interface AuthState {
  readonly env: AuthEnv;
  readonly cookieKey: Buffer | null;
  readonly sessions: SessionStore;
  /** Failed sign-ins per address: 20 in 5 minutes. */
  readonly byAddress: LoginLimiter;
  /** Failed sign-ins per listed user: 10 in 5 minutes (Grafana locks a user out the same way). */
  readonly byUser: LoginLimiter;
  /**
   * The same for names that are not users, in a map of their own: unknown names lock out exactly like
   * real ones (the lockout does not tell which names exist), and a flood of made-up names evicts only
   * other made-up names, never a real user's count.
   */
  readonly byUnknownUser: LoginLimiter;
  /** Password checks running now (argon2 takes ~19 MiB and tens of ms each): capped. */
  verifying: number;
  users(): Promise<UserDirectory>;
}

/** argon2 checks allowed at once; more are refused with "try again" rather than queued without bound. */
export const MAX_CONCURRENT_VERIFICATIONS = 4;

// Next compiles route handlers, pages and server actions into separate bundles that may each carry
// their own copy of this module, so the one per-process instance hangs off globalThis.
const KEY = Symbol.for("livedash.auth-state");

/** The web app's sign-in state: built on first use from the env, then the same for every request. */
export function authState(): AuthState {
  const holder = globalThis as { [KEY]?: AuthState };
  if (holder[KEY] !== undefined) return holder[KEY];
  const env = readAuthEnv();
  let users: Promise<UserDirectory> | undefined;
  const state: AuthState = {
    env,
    cookieKey: env.readToken === null ? null : cookieKeyFor(env.readToken),
    sessions: new SessionStore({ ttlMs: env.sessionTtlMs }),
    byAddress: new LoginLimiter({ maxFailures: 20 }),
    byUser: new LoginLimiter({ maxFailures: 10 }),
    byUnknownUser: new LoginLimiter({ maxFailures: 10 }),
    verifying: 0,
    users: () => {
      users ??= loadUserDirectory(env).catch((error: unknown) => {
        // Not cached: the next attempt reads the file again (after the operator fixed it).
        users = undefined;
        throw error;
      });
      return users;
    },
  };
  holder[KEY] = state;
  return state;
}

/** Sign-in is on when the web app holds a read token. */
export function signInEnabled(): boolean {
  return authState().env.readToken !== null;
}
