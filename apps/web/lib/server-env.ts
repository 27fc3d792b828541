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
