import { readFile } from "node:fs/promises";
import { hash, verify } from "@node-rs/argon2";
import type { AuthEnv } from "../server-env";
import type { Role } from "./roles";
import { parseUsersFile } from "./users-file";

interface StoredUser {
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
}

export interface UserDirectory {
  /** The user's role when the password is right; null otherwise (unknown user or wrong password, told apart by no one). */
  check(name: string, password: string): Promise<{ name: string; role: Role } | null>;
  /** A listed user's role (auth-proxy mode takes roles from here). */
  roleOf(name: string): Role | null;
  /** Is `name` a listed user? (Only listed users get a per-user rate-limit entry.) */
  has(name: string): boolean;
}

/**
 * Users from LIVEDASH_ADMIN_PASSWORD (user `admin`, hashed here at start, kept only as its hash in
 * memory) and LIVEDASH_USERS_FILE (argon2 hashes). Nothing is written anywhere: the env and the
 * file are the source of truth, read at start; change them and restart to add users or rotate.
 */
export async function loadUserDirectory(env: AuthEnv): Promise<UserDirectory> {
  const users = new Map<string, StoredUser>();
  if (env.usersFile !== null) {
    let text: string;
    try {
      text = await readFile(env.usersFile, "utf8");
    } catch (cause) {
      throw new Error(`LIVEDASH_USERS_FILE (${env.usersFile}) cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    for (const user of parseUsersFile(text, env.usersFile).users) users.set(user.name.toLowerCase(), user);
  }
  if (env.adminPassword !== null) {
    if (users.has("admin")) throw new Error("user admin is defined twice: by LIVEDASH_ADMIN_PASSWORD and in LIVEDASH_USERS_FILE; keep one");
    users.set("admin", { name: "admin", role: "admin", passwordHash: await hash(env.adminPassword) });
  }
  if (users.size === 0 && env.authProxy === null) {
    throw new Error("sign-in is on (LIVEDASH_READ_TOKEN is set) but there are no users: set LIVEDASH_ADMIN_PASSWORD or LIVEDASH_USERS_FILE");
  }
  // Unknown names are checked against this hash too, so the answer takes as long as for a real user.
  const decoy = await hash("livedash-decoy-password");
  return {
    async check(name, password) {
      const user = users.get(name.toLowerCase());
      const ok = await verify(user?.passwordHash ?? decoy, password).catch(() => false);
      return ok && user !== undefined ? { name: user.name, role: user.role } : null;
    },
    roleOf: (name) => users.get(name.toLowerCase())?.role ?? null,
    has: (name) => users.has(name.toLowerCase()),
  };
}
