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

/** process.env, or a plain object in tests. */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** The dashboard's sign-in settings, from the web app's env (never sent to the browser). */
export interface AuthEnv {
  /** LIVEDASH_READ_TOKEN: set = sign-in on. Used only on this server, to mint tickets. */
  readonly readToken: string | null;
  /** LIVEDASH_ADMIN_PASSWORD: user `admin` (role admin) with this password. */
  readonly adminPassword: string | null;
  /** LIVEDASH_USERS_FILE: path of a JSON users file (lib/auth/users-file.ts). */
  readonly usersFile: string | null;
  /** LIVEDASH_SESSION_TTL: how long a sign-in lasts (absolute), in ms. @default 12 h */
  readonly sessionTtlMs: number;
  /** Where this server reaches the Livedash server for tickets: LIVEDASH_INTERNAL_URL, else LIVEDASH_URL, else http://127.0.0.1:4000. */
  readonly internalServerUrl: string;
  /** Auth-proxy mode (LIVEDASH_AUTH_PROXY_HEADER + LIVEDASH_AUTH_PROXY_SECRET), null when off. */
  readonly authProxy: AuthProxyEnv | null;
}

export interface AuthProxyEnv {
  /** Request header carrying the user name the proxy signed in, e.g. x-forwarded-user. */
  readonly userHeader: string;
  /** Value the proxy must send in `x-livedash-proxy-secret`: only the proxy knows it. */
  readonly secret: string;
  /** Role of proxy users not listed in the users file. @default "viewer" */
  readonly defaultRole: "admin" | "editor" | "viewer";
}

const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `15m`, `12h`, `7d` -> ms, within [10 s, 30 d]; the error names the variable. */
export function parseDurationMs(name: string, raw: string): number {
  const match = DURATION_RE.exec(raw.trim());
  if (!match) throw new Error(`${name} must be a duration such as 30m, 12h or 7d, got "${raw}"`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms < 10_000 || ms > 30 * 86_400_000) throw new Error(`${name} must be between 10s and 30d, got "${raw}"`);
  return ms;
}

const nonEmpty = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/**
 * Where this (Next) server reaches the Livedash server, for tickets and Server Action writes:
 * LIVEDASH_INTERNAL_URL, else LIVEDASH_URL, else http://127.0.0.1:4000.
 */
export function readInternalServerUrl(env: EnvLike = process.env): string {
  const internal = nonEmpty(env.LIVEDASH_INTERNAL_URL);
  if (internal === null) return readServerUrl() ?? "http://127.0.0.1:4000";
  const url = URL.canParse(internal) ? new URL(internal) : null;
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new Error(`LIVEDASH_INTERNAL_URL must be an http(s) URL such as http://127.0.0.1:4000, got "${internal}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** Reads and checks the sign-in settings; throws an Error naming the variable. */
export function readAuthEnv(env: EnvLike = process.env): AuthEnv {
  const readToken = nonEmpty(env.LIVEDASH_READ_TOKEN);
  const adminPassword = env.LIVEDASH_ADMIN_PASSWORD ? env.LIVEDASH_ADMIN_PASSWORD : null;
  if (adminPassword !== null && (adminPassword.length < 12 || adminPassword.length > 1024)) {
    throw new Error("LIVEDASH_ADMIN_PASSWORD must be 12 to 1024 characters long");
  }
  const ttl = nonEmpty(env.LIVEDASH_SESSION_TTL);
  const internalServerUrl = readInternalServerUrl(env);
  const proxyHeader = nonEmpty(env.LIVEDASH_AUTH_PROXY_HEADER)?.toLowerCase() ?? null;
  let authProxy: AuthProxyEnv | null = null;
  if (proxyHeader !== null) {
    if (!/^[a-z0-9-]{1,64}$/.test(proxyHeader)) throw new Error(`LIVEDASH_AUTH_PROXY_HEADER must be a header name such as x-forwarded-user, got "${proxyHeader}"`);
    const secret = env.LIVEDASH_AUTH_PROXY_SECRET ?? "";
    if (secret.length < 16) throw new Error("LIVEDASH_AUTH_PROXY_SECRET must be set (16+ characters) with LIVEDASH_AUTH_PROXY_HEADER: the proxy sends it in x-livedash-proxy-secret");
    const role = nonEmpty(env.LIVEDASH_AUTH_PROXY_DEFAULT_ROLE) ?? "viewer";
    if (role !== "admin" && role !== "editor" && role !== "viewer") throw new Error(`LIVEDASH_AUTH_PROXY_DEFAULT_ROLE must be admin, editor or viewer, got "${role}"`);
    authProxy = { userHeader: proxyHeader, secret, defaultRole: role };
  }
  return {
    readToken,
    adminPassword,
    usersFile: nonEmpty(env.LIVEDASH_USERS_FILE),
    sessionTtlMs: ttl === null ? 12 * 3_600_000 : parseDurationMs("LIVEDASH_SESSION_TTL", ttl),
    internalServerUrl,
    authProxy,
  };
}

/** Where the dashboard's Server Actions send writes (alert rules, silences), and with what. */
export interface WriteTarget {
  /** The Livedash server as this (Next) server reaches it: LIVEDASH_INTERNAL_URL, else LIVEDASH_URL, else http://127.0.0.1:4000. */
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
  return { url: readInternalServerUrl(env), token: token ? token : null };
}
