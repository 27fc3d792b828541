/** `/login?next=<path>`; `next` is kept only when it is a path on this site (no open redirect). */
export function loginPath(nextPath: string): string {
  return `/login?next=${encodeURIComponent(safeNextPath(nextPath))}`;
}

/** A same-site path to go to after sign-in: must start with one `/` (not `//` or `/\`), else `/`. */
export function safeNextPath(raw: string | null | undefined): string {
  if (typeof raw !== "string" || raw.length > 2048 || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
  // Control characters (and DEL) and backslashes: browsers read `/\t/evil` or `/\\evil` as another host.
  // A lone surrogate cannot be percent-encoded (encodeURIComponent throws).
  if (/\p{Surrogate}/u.test(raw)) return "/";
  for (const ch of raw) if (ch < " " || ch === "\x7f" || ch === "\\") return "/";
  // Non-ASCII percent-encoded: a raw one in the redirect's Location header is a 500 (ERR_INVALID_CHAR).
  return raw.replace(/[^\x20-\x7e]/gu, (ch) => encodeURIComponent(ch));
}

/** A page's own path with its query, from Next's searchParams: where /login sends the user back to. */
export function pagePath(pathname: string, params: Record<string, string | string[] | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) query.append(key, one);
  }
  const text = query.toString();
  return text ? `${pathname}?${text}` : pathname;
}
