import type { Aggregate, PollResult } from "@livedash/events";
import type { ApiServices } from "../services";

interface PollQuery {
  series: string[];
  cursor?: string | null;
  waitMs: number;
  aggregate?: Aggregate | undefined;
}

/** Runs one long-poll, counted as open for the self collector and /metrics while it waits. */
export async function countedPoll<T>(services: ApiServices, poll: () => Promise<T>): Promise<T> {
  services.traffic.polls++;
  try {
    return await poll();
  } finally {
    services.traffic.polls--;
  }
}

/** `metrics.poll`: the server's live path answers. */
export function pollEvents(services: ApiServices, input: PollQuery, signal: AbortSignal | undefined, caller?: string): Promise<PollResult> {
  return countedPoll(services, () => services.live.poll(input, signal, caller));
}
