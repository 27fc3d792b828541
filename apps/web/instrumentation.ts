/**
 * Runs once when the web app starts. Next compiles this file for the edge runtime too, so the
 * Node-only part (argon2, fs) is imported behind the literal NEXT_RUNTIME check its docs prescribe:
 * the bundler drops that branch from the edge build.
 */
export async function register(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- NEXT_RUNTIME is Next's compile-time switch, not a setting
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkSignInAtStart } = await import("./lib/auth/check-at-start");
    await checkSignInAtStart();
  }
}
