import { AlertsView } from "../../components/alerts-view";
import { requirePageUser } from "../../lib/auth/guard";
import { readServerUrl } from "../../lib/server-env";

// LIVEDASH_URL is read per request, so one build serves any deployment.
export const dynamic = "force-dynamic";

export default async function AlertsPage() {
  // proxy.ts checks only the cookie's signature; a signed-out session goes to /login here.
  await requirePageUser("/alerts");
  return <AlertsView serverUrl={readServerUrl()} />;
}
