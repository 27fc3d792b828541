/**
 * The Host allow-list against DNS rebinding. A page on attacker.example can make its own name resolve
 * to 127.0.0.1 after loading; the browser then treats our server as same-origin with that page and
 * sends it `Host: attacker.example`. An open loopback server (no tokens) must therefore answer only to
 * names it knows, as Vite (`server.allowedHosts`) and webpack-dev-server do.
 */

/** Names a loopback server answers to by default; `.localhost` is any subdomain of localhost (RFC 6761). */
export const LOOPBACK_HOST_NAMES: readonly string[] = ["localhost", ".localhost", "127.0.0.1", "[::1]"];

// A DNS name (labels of letters, digits, -, _), an IPv4 address, or a bracketed IPv6 address;
// an optional leading `.` (or `*.`) allows every subdomain too.
const HOST_ENTRY_RE = /^(?:\*?\.)?(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$/i;

/** null when the entry is a host name the allow-list can hold, else why not. */
export function checkHostEntry(entry: string): string | null {
  return HOST_ENTRY_RE.test(entry) ? null : "is not a host name (expected dash.example.com, .example.com for subdomains, 10.0.0.5 or [::1], no scheme or port)";
}

// RFC 9110 §7.2: `uri-host [ ":" port ]`, the host a bracketed IPv6 literal or a name without `:` or
// brackets. Anything after `]` but a port (`[::1]evil.example`) is not a Host and matches no entry.
const HOST_HEADER_RE = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{0,5})?$/;

/** The name part of a Host header: lowercased, without port or trailing dot; null when it is not a valid Host. */
export function hostNameOf(header: string): string | null {
  const match = HOST_HEADER_RE.exec(header.trim().toLowerCase());
  if (!match) return null;
  const name = match[1]!;
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/**
 * Builds the check; `allowed` null turns it off (tokens are set, or `*` was configured). A request
 * without Host passes: only a browser can be rebound, and browsers always send it.
 */
export function createHostCheck(allowed: readonly string[] | null): (hostHeader: string | undefined) => boolean {
  if (allowed === null) return () => true;
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of allowed) {
    const name = entry.toLowerCase().replace(/^\*\./, ".");
    if (name.startsWith(".")) {
      suffixes.push(name);
      exact.add(name.slice(1));
    } else exact.add(name);
  }
  return (hostHeader) => {
    if (hostHeader === undefined || hostHeader === "") return true;
    const name = hostNameOf(hostHeader);
    if (name === null) return false;
    return exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
  };
}

/** The 403 message: names the host (shortened), the setting and what it holds. */
export function hostRefusedMessage(hostHeader: string, allowed: readonly string[]): string {
  const name = hostNameOf(hostHeader) ?? hostHeader.trim();
  const shown = name.length > 100 ? `${name.slice(0, 100)}…` : name;
  return `host '${shown}' is not allowed (LIVEDASH_ALLOWED_HOSTS: ${allowed.join(", ")}); add the name you reach the server by, or set tokens`;
}
