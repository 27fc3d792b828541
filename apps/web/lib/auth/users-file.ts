import { formatZodIssues } from "@livedash/events";
import { z } from "zod";
import { ROLES } from "./roles";

/** User names: what Grafana allows in a login, minus spaces; also safe in logs and headers. */
export const USER_NAME_RE = /^[A-Za-z0-9._@+-]{1,64}$/;

const UserSchema = z
  .object({
    name: z.string().regex(USER_NAME_RE, "name must be 1..64 characters of letters, digits and . _ @ + -"),
    role: z.enum(ROLES, { error: "role must be admin, editor or viewer" }).default("viewer"),
    passwordHash: z
      .string()
      .max(512, "passwordHash must be at most 512 characters")
      .regex(/^\$argon2(id|i|d)\$/, "passwordHash must be an argon2 hash ($argon2id$...): make one with `npm run hash-password -w @livedash/web`"),
  })
  .strict();

/** `LIVEDASH_USERS_FILE`: `{ "users": [ { "name", "role", "passwordHash" } ] }`. */
export const UsersFileSchema = z
  .object({
    users: z.array(UserSchema).min(1, "users must list at least one user").max(1000, "users must list at most 1000 users"),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.users.forEach((user, index) => {
      const key = user.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["users", index, "name"], message: `name "${user.name}" appears twice` });
      seen.add(key);
    });
  });

export type UsersFile = z.infer<typeof UsersFileSchema>;
export type UserRecord = UsersFile["users"][number];

/** Parses a users file's text; the error names the file, the field and the rule. */
export function parseUsersFile(text: string, source: string): UsersFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`LIVEDASH_USERS_FILE (${source}) is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const parsed = UsersFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`LIVEDASH_USERS_FILE (${source}): ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}
