/** Grafana's three roles: viewers read, editors also change alert rules and silences, admins everything. */
export const ROLES = ["admin", "editor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** May this role change things (alert rules, silences, annotations)? */
export function canWrite(role: Role): boolean {
  return role === "admin" || role === "editor";
}

/** Who is asking: a signed-in user, a user named by the auth proxy, or everyone when sign-in is off. */
export interface SignedInUser {
  readonly name: string;
  readonly role: Role;
  readonly via: "session" | "proxy" | "open";
  /** Session id (cookie sign-ins only): what sign-out revokes. */
  readonly sessionId: string | null;
  /** Epoch ms when the sign-in ends; null when it does not (proxy, open). */
  readonly expiresAt: number | null;
}
