import { BenchView } from "../../components/bench-view";

// Not linked from anywhere: the render benchmark (bench/render.mjs) drives it with query params.
export const dynamic = "force-dynamic";

type Params = Record<string, string | string[] | undefined>;

function intParam(params: Params, key: string, fallback: number, min: number, max: number): number {
  const raw = params[key];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

export default async function BenchPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  const windowKey = params.window === "1m" || params.window === "5m" || params.window === "1h" ? params.window : "15m";
  return (
    <BenchView
      seriesCount={intParam(params, "series", 50, 1, 2000)}
      hz={intParam(params, "hz", 10, 1, 100)}
      windowKey={windowKey}
      seriesPerChart={intParam(params, "perChart", 5, 1, 20)}
      legend={params.legend !== "0"}
    />
  );
}
