/**
 * Builds the Origin check for WebSocket handshakes and CORS requests.
 *
 * - No Origin header (curl, Node clients, server-to-server): allowed; the Origin check protects
 *   browsers from cross-site use of their ambient access, and non-browser clients are authenticated
 *   by token instead.
 * - A browser Origin must equal an allowed origin exactly: scheme, host and port (`http://localhost:3000`
 *   and `http://127.0.0.1:3000` are different origins). Default ports and letter case are normalized.
 * - `*` in the list allows every origin. The opaque origin `null` (sandboxed iframes, file://) is
 *   refused unless `null` itself is listed.
 *
 * Throws at startup when an entry is not an origin, naming it, so a typo fails loudly instead of
 * silently locking the dashboard out.
 */
export function createOriginCheck(allowed: readonly string[]): (origin: string | undefined) => boolean {
  const entries = allowed.map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.includes("*")) return () => true;
  const origins = new Set<string>();
  for (const entry of entries) {
    if (entry === "null") {
      origins.add("null");
      continue;
    }
    const normalized = normalizeOrigin(entry);
    if (normalized === null) {
      throw new Error(
        `LIVEDASH_ALLOWED_ORIGINS: '${entry}' is not an origin (expected scheme://host[:port] with no path, e.g. http://localhost:3000)`,
      );
    }
    origins.add(normalized);
  }
  return (origin) => {
    if (origin === undefined || origin === "") return true;
    if (origin === "null") return origins.has("null");
    const normalized = normalizeOrigin(origin);
    return normalized !== null && origins.has(normalized);
  };
}

/** `scheme://host[:port]` in canonical form, or null for anything with a path, query, credentials or bad syntax. */
export function normalizeOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== "/" || /^[a-z]+:\/\/[^/]+\/./i.test(text)) return null;
  return url.origin;
}
