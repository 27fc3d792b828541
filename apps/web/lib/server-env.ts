/**
 * The dashboard's only reader of process.env, on the server at request time (never inlined at
 * build). Null means "same host as the page, port 4000", which the browser works out.
 */
export function readServerUrl(): string | null {
  const raw = process.env.LIVEDASH_URL?.trim();
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("protocol");
    return url.origin + url.pathname.replace(/\/+$/, "");
  } catch {
    throw new Error(`LIVEDASH_URL must be an http(s) URL such as http://127.0.0.1:4000, got "${raw}"`);
  }
}

/** Where the dashboard's Server Actions send writes (alert rules, silences), and with what. */
export interface WriteTarget {
  /** The Livedash server as this (Next) server reaches it: LIVEDASH_URL, else http://127.0.0.1:4000. */
  readonly url: string;
  /** LIVEDASH_INGEST_TOKEN: sent as a Bearer token; null when the Livedash server runs without tokens. */
  readonly token: string | null;
}

/**
 * Server-side only (Server Actions): the ingest token never reaches the browser; the page calls an
 * action, the action calls the Livedash server with the token.
 */
export function readWriteTarget(env: NodeJS.ProcessEnv = process.env): WriteTarget {
  const token = env.LIVEDASH_INGEST_TOKEN?.trim();
  return { url: readServerUrl() ?? "http://127.0.0.1:4000", token: token ? token : null };
}
