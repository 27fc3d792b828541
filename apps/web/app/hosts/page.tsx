import { HostsView } from "../../components/hosts-view";
import { requirePageUser } from "../../lib/auth/guard";
import { pagePath } from "../../lib/auth/login-path";
import { parseViewState } from "../../lib/view-state";
import { readServerUrl } from "../../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default async function HostsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  // proxy.ts checks only the cookie's signature: a signed-out session goes to /login here.
  await requirePageUser(pagePath("/hosts", params));
  // Only `transport` of the overview's URL view applies here (`?transport=poll` forces one, as there).
  const { transport } = parseViewState(params);
  return <HostsView serverUrl={readServerUrl()} transport={transport} />;
}
