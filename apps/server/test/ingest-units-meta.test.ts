import { describe, expect, it } from "vitest";
import { MetaMemo } from "../src/ingest/meta-memo";
import { prometheusMeta, type PrometheusFamily } from "../src/ingest/prometheus-meta";
import { unitFromPrometheus, unitFromUcum } from "../src/ingest/units";
import { parseExposition } from "../src/scrape/exposition-parser";

describe("producers' units in the dashboard's units", () => {
  it.each([
    ["By", "bytes", "bytes_per_second"],
    ["s", "seconds", "none"],
    ["ms", "ms", "none"],
    ["1", "none", "per_second"],
    ["", "none", "per_second"],
    ["%", "percent", "none"],
    ["{request}", "count", "per_second"],
    ["By/s", "bytes_per_second", "none"],
    ["{packet}/s", "per_second", "none"],
  ] as const)("OTLP (UCUM) %j is %s, its rate %s", (ucum, unit, rate) => {
    expect(unitFromUcum(ucum)).toEqual({ unit, rate });
  });

  it("names a unit it cannot format instead of guessing", () => {
    expect(unitFromUcum("Cel")).toEqual({ unit: "none", rate: "none", raw: "Cel" });
    expect(unitFromUcum("{")).toEqual({ unit: "none", rate: "none", raw: "{" });
    expect(unitFromPrometheus("x", "joules")).toEqual({ unit: "none", rate: "none", raw: "joules" });
  });

  it("takes a Prometheus family's # UNIT, else the unit its name ends in", () => {
    expect(unitFromPrometheus("node_cpu_seconds_total", undefined).unit).toBe("seconds");
    expect(unitFromPrometheus("node_network_receive_bytes_total", undefined).unit).toBe("bytes");
    expect(unitFromPrometheus("cache_hit_ratio", undefined).unit).toBe("none");
    expect(unitFromPrometheus("go_goroutines", undefined).unit).toBe("none");
    expect(unitFromPrometheus("request_latency", "seconds").unit).toBe("seconds");
  });
});

describe("Prometheus HELP/TYPE/UNIT as catalog entries", () => {
  const families = new Map<string, PrometheusFamily>([
    ["http_requests_total", { type: "counter", help: "Requests." }],
    ["rpc_duration_seconds", { type: "histogram", help: "RPC latency." }],
    ["gc_pause_seconds", { type: "summary", help: "GC pauses." }],
    ["jobs", { type: "counter", help: "Jobs done.", unit: "" }],
    ["temperature_celsius", { type: "gauge", help: "Temp.", unit: "celsius" }],
  ]);
  const meta = (names: string[]) => prometheusMeta(names, (name) => families.get(name));

  it("matches each sample name to its family and says what the sample is", () => {
    expect(meta(["http_requests_total", "jobs_total", "temperature_celsius", "unknown_metric"])).toEqual([
      { series: "http_requests_total", unit: "none", kind: "counter", description: "Requests." },
      // OpenMetrics names the family without _total; the sample has it.
      { series: "jobs_total", unit: "none", kind: "counter", description: "Jobs done." },
      { series: "temperature_celsius", unit: "none", kind: "gauge", description: "Temp. [unit celsius]" },
    ]);
    expect(meta(["rpc_duration_seconds_bucket", "rpc_duration_seconds_sum", "rpc_duration_seconds_count", "gc_pause_seconds"])).toEqual([
      { series: "rpc_duration_seconds_bucket", unit: "count", kind: "counter", description: "RPC latency. (observations per bucket, cumulative over le)" },
      { series: "rpc_duration_seconds_sum", unit: "seconds", kind: "counter", description: "RPC latency. (sum of observations)" },
      { series: "rpc_duration_seconds_count", unit: "count", kind: "counter", description: "RPC latency. (count of observations)" },
      { series: "gc_pause_seconds", unit: "seconds", kind: "gauge", description: "GC pauses. (quantiles)" },
    ]);
  });

  it("reads HELP (unescaped) and UNIT from an exposition; a malformed metadata line is ignored, not a failed scrape", () => {
    const text = [
      "# HELP a_seconds Time spent\\non \\\\ things.",
      "# UNIT a_seconds seconds",
      "# TYPE a_seconds gauge",
      "a_seconds 1.5",
      "# HELP",
      "# HELP 9bad text",
      "# UNIT b",
      "b 2",
    ].join("\n");
    const parsed = parseExposition(text, { openMetrics: false, maxSamples: 100 });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.help.get("a_seconds")).toBe("Time spent\non \\ things.");
    expect(parsed.units.get("a_seconds")).toBe("seconds");
    expect([...parsed.help.keys()]).toEqual(["a_seconds"]);
    expect(parsed.samples.map((s) => s.name)).toEqual(["a_seconds", "b"]);
  });

  it("cuts a description to the catalog's 500 characters", () => {
    const [entry] = prometheusMeta(["long"], () => ({ type: "gauge", help: "x".repeat(2000) }));
    expect(entry!.description).toHaveLength(500);
  });
});

describe("MetaMemo", () => {
  it("passes an entry on only when it changed since it was last applied, and stays bounded", () => {
    const memo = new MetaMemo(2);
    const a = { series: "a", unit: "bytes" as const, kind: "gauge" as const, description: "A" };
    expect(memo.changed([a])).toEqual([a]);
    // Not applied yet (the request was refused): passed on again.
    expect(memo.changed([a])).toEqual([a]);
    memo.remember([a]);
    expect(memo.changed([a])).toEqual([]);
    expect(memo.changed([{ ...a, description: "A2" }])).toEqual([{ ...a, description: "A2" }]);
    // Past its capacity it starts over: a is passed on again, never wrongly held back.
    memo.remember([{ ...a, series: "b" }, { ...a, series: "c" }]);
    expect(memo.changed([a])).toEqual([a]);
  });
});
