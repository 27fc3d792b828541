import type { Aggregate, PollResult } from "@livedash/events";
import type { ApiServices } from "../services";

interface PollQuery {
  series: string[];
  cursor?: string | null;
  waitMs: number;
  aggregate?: Aggregate | undefined;
}

/** `metrics.poll`: the server's live path answers; open polls are counted for /metrics. */
export async function pollEvents(services: ApiServices, input: PollQuery, signal: AbortSignal | undefined, caller?: string): Promise<PollResult> {
  services.traffic.polls++;
  try {
    return await services.live.poll(input, signal, caller);
  } finally {
    services.traffic.polls--;
  }
}
