import { Dashboard } from "../components/dashboard";
import { requirePageUser } from "../lib/auth/guard";
import { pagePath } from "../lib/auth/login-path";
import { parseViewState } from "../lib/view-state";
import { readServerUrl } from "../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default async function OverviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const user = await requirePageUser(pagePath("/", params));
  return <Dashboard serverUrl={readServerUrl()} initialView={parseViewState(params)} user={user.via === "open" ? null : { name: user.name, role: user.role, canSignOut: user.via === "session" }} />;
}
