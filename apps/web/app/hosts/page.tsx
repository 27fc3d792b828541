import { HostsView } from "../../components/hosts-view";
import { parseViewState } from "../../lib/view-state";
import { readServerUrl } from "../../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default async function HostsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // Only `transport` of the overview's URL view applies here (`?transport=poll` forces one, as there).
  const { transport } = parseViewState(await searchParams);
  return <HostsView serverUrl={readServerUrl()} transport={transport} />;
}
