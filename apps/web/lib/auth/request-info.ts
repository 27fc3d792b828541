/** The part of a request's headers sign-in reads (next/headers' ReadonlyHeaders and Request.headers both fit). */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * The client's address, for rate limits. Next gives route code no socket address; it fills
 * `x-forwarded-for` with the peer address only when the request has none. The last entry is what
 * the nearest proxy saw (nginx `$proxy_add_x_forwarded_for` appends it); reached directly, a client
 * can write the header itself, which is why the per-user limit exists too (docs/security.md).
 */
export function clientAddress(headers: HeaderReader): string {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").pop()?.trim();
  return last ? last.slice(0, 64) : "unknown";
}

/** Was the page requested over https (directly or behind a proxy that says so)? Then the cookie is Secure. */
export function isHttps(headers: HeaderReader): boolean {
  return headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

/**
 * CSRF check for route handlers that change state: the browser's `Origin` must be this site's own
 * (scheme-less host compare, as Next does for Server Actions, against `x-forwarded-host` or `host`).
 * A POST without `Origin` is refused: every browser sends it on POST, and non-browser clients can add it.
 */
export function isSameOrigin(headers: HeaderReader): boolean {
  const origin = headers.get("origin");
  if (!origin || origin === "null" || !URL.canParse(origin)) return false;
  const host = (headers.get("x-forwarded-host") ?? headers.get("host"))?.split(",")[0]?.trim().toLowerCase();
  return host !== undefined && host !== "" && new URL(origin).host === host;
}
