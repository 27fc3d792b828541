import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { authState } from "./auth-state";
import { verifySessionCookie } from "./cookie";
import { attemptSignIn } from "./sign-in";

const PASSWORD = "correct-horse-battery";
/** Each attempt from its own address, so only the per-name limits are in play. */
let address = 0;
const from = () => new Headers({ "x-forwarded-for": `10.0.0.${++address}` });

describe("attemptSignIn", () => {
  beforeAll(() => {
    vi.stubEnv("LIVEDASH_READ_TOKEN", "read-token-unit-0123456789");
    vi.stubEnv("LIVEDASH_ADMIN_PASSWORD", PASSWORD);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it("signs in with the right password: a signed cookie for a session in the store", async () => {
    const result = await attemptSignIn("admin", PASSWORD, from());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const state = authState();
    const signed = verifySessionCookie(state.cookieKey!, result.cookieValue, Date.now());
    expect(state.sessions.get(signed!.sessionId)).toMatchObject({ user: "admin", role: "admin" });
  });

  it("refuses bad input before hashing anything", async () => {
    expect(await attemptSignIn("", PASSWORD, from())).toEqual({ ok: false, error: "user name: 1 to 64 characters" });
    expect(await attemptSignIn("admin", "x".repeat(1025), from())).toEqual({ ok: false, error: "password: 1 to 1024 characters" });
    expect(await attemptSignIn(undefined, undefined, from())).toMatchObject({ ok: false });
  });

  it.each(["admin", "nobody"])("locks %s out after 10 failures from any addresses; a real and a made-up name look the same", async (name) => {
    for (let i = 0; i < 10; i++) expect(await attemptSignIn(name, `wrong-${i}`, from())).toEqual({ ok: false, error: "wrong user name or password" });
    const locked = await attemptSignIn(name, PASSWORD, from());
    expect(locked).toMatchObject({ ok: false });
    expect(!locked.ok && locked.error).toMatch(/^too many failed sign-ins; try again in \d+ s$/);
  }, 120_000);
});
