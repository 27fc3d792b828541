import { labelValueProblem } from "@livedash/events";

/** A scrape target from LIVEDASH_SCRAPE. */
export interface ScrapeTarget {
  /** The URL fetched (without the `#job=` fragment). */
  readonly url: string;
  /** `host:port` (the scheme's default port made explicit), as Prometheus 2.x labels its targets. */
  readonly instance: string;
  readonly job: string;
}

/** The `job` label of a target that names none (`#job=<name>` on its URL). */
export const DEFAULT_SCRAPE_JOB = "livedash-scrape";
/** Targets one server scrapes: each holds a loop and, while scraping, one connection and one body. */
export const MAX_SCRAPE_TARGETS = 1_000;

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/**
 * Parses LIVEDASH_SCRAPE: comma-separated http(s) URLs, each optionally ending in `#job=<name>`.
 * Returns the targets or the first problem (naming the entry); the caller names the variable.
 */
export function parseScrapeTargets(raw: string): { ok: true; targets: ScrapeTarget[] } | { ok: false; message: string } {
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length > MAX_SCRAPE_TARGETS) return { ok: false, message: `at most ${MAX_SCRAPE_TARGETS} targets (got ${entries.length})` };
  const targets: ScrapeTarget[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const shown = `'${entry.slice(0, 200)}'`;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return { ok: false, message: `${shown} is not a URL like http://127.0.0.1:9100/metrics` };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, message: `${shown}: only http:// and https:// targets can be scraped` };
    // Credentials would end up in logs and in nothing else useful: refused rather than leaked.
    if (url.username || url.password) return { ok: false, message: `${shown}: user:password@ in a target URL is not supported` };
    let job = DEFAULT_SCRAPE_JOB;
    if (url.hash !== "") {
      const match = /^#job=(.+)$/.exec(url.hash);
      if (!match) return { ok: false, message: `${shown}: the only fragment understood is #job=<name>` };
      try {
        job = decodeURIComponent(match[1]!);
      } catch {
        return { ok: false, message: `${shown}: #job= is not valid percent-encoding` };
      }
      const problem = labelValueProblem(job);
      if (problem) return { ok: false, message: `${shown}: job ${problem}` };
      url.hash = "";
    }
    const instance = `${url.hostname.includes(":") && !url.hostname.startsWith("[") ? `[${url.hostname}]` : url.hostname}:${url.port || DEFAULT_PORTS[url.protocol]}`;
    const href = url.href;
    if (seen.has(href)) return { ok: false, message: `${shown} is listed twice` };
    seen.add(href);
    targets.push({ url: href, instance, job });
  }
  return { ok: true, targets };
}
