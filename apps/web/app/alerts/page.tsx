import { AlertsView } from "../../components/alerts-view";
import { requirePageUser } from "../../lib/auth/guard";
import { canWrite } from "../../lib/auth/roles";
import { pagePath } from "../../lib/auth/login-path";
import { readServerUrl } from "../../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default async function AlertsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const user = await requirePageUser(pagePath("/alerts", params));
  return (
    <AlertsView
      serverUrl={readServerUrl()}
      user={user.via === "open" ? null : { name: user.name, role: user.role, canSignOut: user.via === "session" }}
      canWrite={canWrite(user.role)}
    />
  );
}
