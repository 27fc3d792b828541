import type { Role } from "../lib/auth/roles";

export interface TopBarUser {
  name: string;
  role: Role;
  /** False for auth-proxy users: their sign-out is the proxy's. */
  canSignOut: boolean;
}

/** The signed-in user's name and role, and sign-out: a POST form (never a link, so no page can trigger it by GET). */
export function UserMenu({ user }: { user: TopBarUser }) {
  return (
    <div className="user-menu" data-testid="user-menu" data-user={user.name} data-role={user.role}>
      <span title={`signed in as ${user.name} (${user.role})`}>{user.name}</span>
      {user.canSignOut ? (
        <form method="post" action="/api/auth/signout">
          <button type="submit" data-testid="sign-out">
            Sign out
          </button>
        </form>
      ) : null}
    </div>
  );
}
