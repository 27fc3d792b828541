import { describe, expect, it } from "vitest";
import { SessionStore } from "./session-store";

describe("SessionStore", () => {
  it("finds a session until it expires or is revoked", () => {
    let now = 1_000;
    const store = new SessionStore({ ttlMs: 10_000, now: () => now });
    const a = store.create("alice", "editor");
    const b = store.create("bob", "viewer");
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.get(a.id)).toEqual(a);
    expect(store.revoke(a.id)).toBe(true);
    expect(store.get(a.id)).toBeNull();
    expect(store.revoke(a.id)).toBe(false);
    now += 10_000;
    expect(store.get(b.id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it("holds at most maxSessions, signing out the oldest", () => {
    const store = new SessionStore({ ttlMs: 60_000, maxSessions: 50, maxPerUser: 1_000 });
    const first = store.create("u0", "viewer");
    for (let i = 1; i < 5_000; i++) {
      store.create(`u${i}`, "viewer");
      expect(store.size).toBeLessThanOrEqual(50);
    }
    expect(store.get(first.id)).toBeNull();
  });

  it("holds at most maxPerUser sessions of one user, other users untouched", () => {
    const store = new SessionStore({ ttlMs: 60_000, maxPerUser: 3 });
    const other = store.create("bob", "viewer");
    const ids = Array.from({ length: 10 }, () => store.create("alice", "admin").id);
    expect(ids.filter((id) => store.get(id) !== null)).toEqual(ids.slice(-3));
    expect(store.get(other.id)).not.toBeNull();
    expect(store.size).toBe(4);
  });

  it("prunes expired sessions when new ones are created", () => {
    let now = 0;
    const store = new SessionStore({ ttlMs: 1_000, now: () => now });
    for (let i = 0; i < 100; i++) store.create(`u${i}`, "viewer");
    now = 1_000;
    store.create("late", "viewer");
    expect(store.size).toBe(1);
  });
});
