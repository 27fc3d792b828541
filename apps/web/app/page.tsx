import { Dashboard } from "../components/dashboard";
import { parseViewState } from "../lib/view-state";
import { readServerUrl } from "../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default async function OverviewPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  return <Dashboard serverUrl={readServerUrl()} initialView={parseViewState(params)} />;
}
