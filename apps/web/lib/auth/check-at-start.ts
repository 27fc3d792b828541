import { authState, signInEnabled } from "./auth-state";

/**
 * With sign-in on, load the users now (hash the admin password, read and validate
 * LIVEDASH_USERS_FILE), so a broken file is reported at start, not at the first sign-in. It does not
 * stop the app: the sign-in page then says to read this log.
 */
export async function checkSignInAtStart(): Promise<void> {
  try {
    if (!signInEnabled()) return;
    await authState().users();
    console.log("dashboard sign-in is on (LIVEDASH_READ_TOKEN is set)");
  } catch (error) {
    console.error(`dashboard sign-in: ${error instanceof Error ? error.message : String(error)}`);
  }
}
