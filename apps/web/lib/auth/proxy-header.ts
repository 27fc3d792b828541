/** The header an auth proxy sends with LIVEDASH_AUTH_PROXY_SECRET, proving the user header is its own. */
export const PROXY_SECRET_HEADER = "x-livedash-proxy-secret";
