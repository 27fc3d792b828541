import { describe, expect, it } from "vitest";
import { parseUsersFile } from "./users-file";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$uj9jw4Z1R4DSP+up/Jgjgw$HLUHC2DAaz4a0w6WJaNcsnf5zEVv+WKfEv8t6xIbVDg";
const file = (users: unknown) => JSON.stringify({ users });

describe("LIVEDASH_USERS_FILE validation", () => {
  it("accepts users with roles, defaulting to viewer", () => {
    const parsed = parseUsersFile(file([{ name: "alice", role: "editor", passwordHash: HASH }, { name: "bob@example.com", passwordHash: HASH }]), "users.json");
    expect(parsed.users.map((u) => [u.name, u.role])).toEqual([
      ["alice", "editor"],
      ["bob@example.com", "viewer"],
    ]);
  });

  it.each([
    ["not JSON", "{", /users\.json\) is not JSON/],
    ["no users", file([]), /users: users must list at least one user/],
    ["bad role", file([{ name: "a", role: "root", passwordHash: HASH }]), /users\[0\]\.role: role must be admin, editor or viewer/],
    ["plaintext password", file([{ name: "a", passwordHash: "hunter2" }]), /users\[0\]\.passwordHash: passwordHash must be an argon2 hash/],
    ["a password field", file([{ name: "a", passwordHash: HASH, password: "x" }]), /users\[0\]: .*password/],
    ["bad name", file([{ name: "a b", passwordHash: HASH }]), /users\[0\]\.name: name must be 1\.\.64 characters/],
    ["duplicate names", file([{ name: "Ann", passwordHash: HASH }, { name: "ann", passwordHash: HASH }]), /users\[1\]\.name: name "ann" appears twice/],
    ["unknown top-level key", JSON.stringify({ users: [{ name: "a", passwordHash: HASH }], admins: [] }), /admins/],
  ])("refuses %s, naming the field", (_case, text, message) => {
    expect(() => parseUsersFile(text, "users.json")).toThrow(message);
  });

  it("names the file and caps the list", () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ name: `u${i}`, passwordHash: HASH }));
    expect(() => parseUsersFile(file(many), "/etc/livedash/users.json")).toThrow(/LIVEDASH_USERS_FILE \(\/etc\/livedash\/users\.json\): users: users must list at most 1000 users/);
  });
});
