import { randomBytes } from "node:crypto";
import type { Role } from "./roles";

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly role: Role;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  /** How long a session lasts from sign-in (absolute, not sliding). */
  readonly ttlMs: number;
  /** Sessions kept in all; past it the oldest is signed out (memory stays bounded). @default 10_000 */
  readonly maxSessions?: number;
  /** Sessions per user (browsers, devices); past it that user's oldest is signed out. @default 20 */
  readonly maxPerUser?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Server-side sessions, so that signing out really ends one: the cookie only carries the id, and a
 * revoked id is gone from here, whatever the cookie says. Every session has the same ttl, so the
 * Map's insertion order is expiry order: expired entries are pruned from the front, no timer.
 * In memory: a restart of the web app signs everyone out (docs/security.md).
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  /** user -> their session ids, oldest first. */
  readonly #byUser = new Map<string, Set<string>>();
  readonly #ttlMs: number;
  readonly #maxSessions: number;
  readonly #maxPerUser: number;
  readonly #now: () => number;

  constructor(options: SessionStoreOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxSessions = options.maxSessions ?? 10_000;
    this.#maxPerUser = options.maxPerUser ?? 20;
    this.#now = options.now ?? Date.now;
  }

  create(user: string, role: Role): Session {
    const now = this.#now();
    this.#prune(now);
    const mine = this.#byUser.get(user);
    while (mine !== undefined && mine.size >= this.#maxPerUser) this.revoke(mine.values().next().value!);
    while (this.#sessions.size >= this.#maxSessions) this.revoke(this.#sessions.keys().next().value!);
    const session: Session = { id: randomBytes(32).toString("base64url"), user, role, expiresAt: now + this.#ttlMs };
    this.#sessions.set(session.id, session);
    const ids = this.#byUser.get(user) ?? new Set<string>();
    ids.add(session.id);
    this.#byUser.set(user, ids);
    return session;
  }

  /** The live session with this id, or null (unknown, revoked or expired). */
  get(id: string): Session | null {
    const session = this.#sessions.get(id);
    if (session === undefined) return null;
    if (session.expiresAt <= this.#now()) {
      this.revoke(id);
      return null;
    }
    return session;
  }

  /** Ends a session; true when it existed. */
  revoke(id: string): boolean {
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    this.#sessions.delete(id);
    const ids = this.#byUser.get(session.user);
    ids?.delete(id);
    if (ids?.size === 0) this.#byUser.delete(session.user);
    return true;
  }

  get size(): number {
    this.#prune(this.#now());
    return this.#sessions.size;
  }

  #prune(now: number): void {
    for (const session of this.#sessions.values()) {
      if (session.expiresAt > now) break;
      this.revoke(session.id);
    }
  }
}
