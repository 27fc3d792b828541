import { redirect } from "next/navigation";
import { signInEnabled } from "../../lib/auth/auth-state";
import { currentUser } from "../../lib/auth/current-user";
import { safeNextPath } from "../../lib/auth/login-path";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNextPath(Array.isArray(params.next) ? params.next[0] : params.next);
  // Sign-in off (no read token), or already signed in: nothing to do here.
  if (!signInEnabled() || (await currentUser()) !== null) redirect(next);
  return (
    <main className="login-page">
      <h1>Livedash</h1>
      <p>Sign in to see the dashboard.</p>
      <LoginForm next={next} />
    </main>
  );
}
