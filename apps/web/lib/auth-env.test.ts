import { describe, expect, it } from "vitest";
import { parseDurationMs, readAuthEnv } from "./server-env";

describe("sign-in settings (web app env)", () => {
  it("sign-in is off without a read token, with defaults", () => {
    expect(readAuthEnv({})).toEqual({
      readToken: null,
      adminPassword: null,
      usersFile: null,
      sessionTtlMs: 12 * 3_600_000,
      internalServerUrl: "http://127.0.0.1:4000",
      authProxy: null,
    });
  });

  it("reads every variable", () => {
    const env = readAuthEnv({
      LIVEDASH_READ_TOKEN: "read-token-0123456789",
      LIVEDASH_ADMIN_PASSWORD: "correct-horse-battery",
      LIVEDASH_USERS_FILE: "/etc/livedash/users.json",
      LIVEDASH_SESSION_TTL: "30m",
      LIVEDASH_INTERNAL_URL: "http://10.0.0.5:4000/",
      LIVEDASH_AUTH_PROXY_HEADER: "X-Forwarded-User",
      LIVEDASH_AUTH_PROXY_SECRET: "proxy-secret-0123456789",
      LIVEDASH_AUTH_PROXY_DEFAULT_ROLE: "editor",
    });
    expect(env).toMatchObject({ sessionTtlMs: 1_800_000, internalServerUrl: "http://10.0.0.5:4000", authProxy: { userHeader: "x-forwarded-user", defaultRole: "editor" } });
  });

  it.each([
    [{ LIVEDASH_ADMIN_PASSWORD: "short" }, /LIVEDASH_ADMIN_PASSWORD must be 12 to 1024 characters/],
    [{ LIVEDASH_SESSION_TTL: "forever" }, /LIVEDASH_SESSION_TTL must be a duration such as 30m/],
    [{ LIVEDASH_SESSION_TTL: "1s" }, /LIVEDASH_SESSION_TTL must be between 10s and 30d/],
    [{ LIVEDASH_INTERNAL_URL: "ftp://x" }, /LIVEDASH_INTERNAL_URL must be an http\(s\) URL/],
    [{ LIVEDASH_AUTH_PROXY_HEADER: "x user" }, /LIVEDASH_AUTH_PROXY_HEADER must be a header name/],
    [{ LIVEDASH_AUTH_PROXY_HEADER: "x-user" }, /LIVEDASH_AUTH_PROXY_SECRET must be set \(16\+ characters\)/],
    [{ LIVEDASH_AUTH_PROXY_HEADER: "x-user", LIVEDASH_AUTH_PROXY_SECRET: "proxy-secret-0123456789", LIVEDASH_AUTH_PROXY_DEFAULT_ROLE: "root" }, /LIVEDASH_AUTH_PROXY_DEFAULT_ROLE must be admin, editor or viewer/],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => readAuthEnv(env)).toThrow(message);
  });

  it("parses durations", () => {
    expect(parseDurationMs("X", "7d")).toBe(7 * 86_400_000);
    expect(parseDurationMs("X", "90s")).toBe(90_000);
  });
});
