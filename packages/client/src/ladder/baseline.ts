import { isObject, trpcHttpCall } from "../transports/http";
import type { TransportContext } from "../transports/types";

/**
 * The server's latest event id, from the subscription's poll twin with `waitMs: 0` (its cursor).
 * Null when the server cannot be asked now: the subscription then starts "from now" as before.
 */
export async function fetchBaseline(ctx: TransportContext, path: string, input: unknown, signal: AbortSignal): Promise<string | null> {
  const procedure = ctx.options.pollProcedures[path];
  if (procedure === undefined || !isObject(input)) return null;
  const { lastEventId: _none, ...base } = input;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ctx.options.reachabilityTimeoutMs);
  const onAbort = () => abort.abort();
  signal.addEventListener("abort", onAbort);
  try {
    const data = await trpcHttpCall(ctx, "query", procedure, { ...base, cursor: null, waitMs: 0 }, abort.signal);
    return isObject(data) && typeof data["cursor"] === "string" ? data["cursor"] : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}
