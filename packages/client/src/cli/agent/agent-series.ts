import type { Point, SeriesMeta } from "@livedash/events";
import { seriesKey } from "@livedash/events";

/**
 * The agent's own series, added to every tick with that tick's ts. The fleet view reads the interval
 * to judge missed intervals (TEAM-PLAN "Agent <-> fleet"); the buffer figures show an outage's cost.
 */
export const AGENT_META: readonly SeriesMeta[] = [
  { series: "livedash.agent.interval_seconds", unit: "seconds", kind: "gauge", description: "the agent's collection interval (--interval)" },
  { series: "livedash.agent.buffered_points", unit: "count", kind: "gauge", description: "points waiting in the agent's buffer before this tick (the server was slow or unreachable)" },
  { series: "livedash.agent.dropped_points", unit: "count", kind: "counter", description: "points the agent dropped since it started: its buffer was full (--buffer-points), or the server refused their batch (400)" },
];

export interface AgentSeries {
  /** The agent's points for the tick at `ts`. */
  points(ts: number, state: { buffered: number; dropped: number }): Point[];
}

export function createAgentSeries(host: string, intervalMs: number): AgentSeries {
  // Keys built once: every tick's points share these strings.
  const [interval, buffered, dropped] = AGENT_META.map((m) => seriesKey(m.series, { host })) as [string, string, string];
  return {
    points(ts, state) {
      return [
        { series: interval, ts, value: intervalMs / 1000 },
        { series: buffered, ts, value: state.buffered },
        { series: dropped, ts, value: state.dropped },
      ];
    },
  };
}
