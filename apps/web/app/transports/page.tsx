import { TransportsView } from "../../components/transports-view";
import { requirePageUser } from "../../lib/auth/guard";
import { pagePath } from "../../lib/auth/login-path";
import { readServerUrl } from "../../lib/server-env";

export const dynamic = "force-dynamic";

export default async function TransportsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  await requirePageUser(pagePath("/transports", params));
  const raw = Array.isArray(params.series) ? params.series[0] : params.series;
  return <TransportsView serverUrl={readServerUrl()} series={raw ? raw.split(",") : ["*"]} />;
}
