import { AlertsView } from "../../components/alerts-view";
import { readServerUrl } from "../../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default function AlertsPage() {
  return <AlertsView serverUrl={readServerUrl()} />;
}
