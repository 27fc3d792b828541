/** What tRPC's HTTP handler and httpSubscriptionLink read from a URL; each takes one value. */
export const TRPC_QUERY_PARAMS = ["input", "batch", "connectionParams", "lastEventId", "Last-Event-Id"] as const;

export type SingleParams<N extends string> = { ok: true; values: Record<N, string | null> } | { ok: false; field: string; message: string };

export interface SingleParamsOptions {
  /**
   * Refuse a parameter not in `names` too (a typo like `agregate=` must not silently mean "no
   * aggregation"). Off where other parameters are someone else's (tRPC's own, cache busters).
   * @default false
   */
  onlyThese?: boolean;
}

/**
 * The single-valued query parameters `names` of a request URL: the one reader of URL params for every
 * route. URLSearchParams.get() takes the first of a repeated parameter silently, so
 * `/sse?aggregate=sum&aggregate=max` ran a sum; here a parameter given more than once is refused,
 * naming it (`aggregate: given 2 times ("sum", "max"); it takes one value`).
 */
export function readSingleParams<N extends string>(url: URL, names: readonly N[], options: SingleParamsOptions = {}): SingleParams<N> {
  const values = {} as Record<N, string | null>;
  for (const name of names) {
    const all = url.searchParams.getAll(name);
    if (all.length > 1) {
      const shown = all.slice(0, 3).map((value) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value));
      return { ok: false, field: name, message: `${name}: given ${all.length} times (${shown.join(", ")}${all.length > 3 ? ", ..." : ""}); it takes one value` };
    }
    values[name] = all[0] ?? null;
  }
  if (options.onlyThese) {
    for (const key of url.searchParams.keys()) {
      if (!(names as readonly string[]).includes(key)) {
        return { ok: false, field: key, message: `unknown query parameter "${key.slice(0, 64)}" (known: ${names.join(", ")})` };
      }
    }
  }
  return { ok: true, values };
}
