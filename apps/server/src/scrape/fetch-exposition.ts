/**
 * What Prometheus 2.42 sends (scrape/scrape.go scrapeAcceptHeader): OpenMetrics first, then the 0.0.4
 * text format, so a target answers exactly as it answers Prometheus.
 */
export const SCRAPE_ACCEPT_HEADER =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

export interface FetchedExposition {
  readonly text: string;
  /** The target answered OpenMetrics (timestamps in seconds, `# EOF`). */
  readonly openMetrics: boolean;
}

/** A failed scrape: the message goes to the log, the target's `up` to 0. */
export class ScrapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScrapeError";
  }
}

/**
 * GETs one target's exposition within `timeoutMs` and `maxBodyBytes` (after decompression: fetch
 * undoes gzip, and the count stops a compressed bomb at the limit). `signal` aborts it at shutdown.
 */
export async function fetchExposition(url: string, options: { timeoutMs: number; maxBodyBytes: number; signal: AbortSignal; userAgent: string }): Promise<FetchedExposition> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  let res: Response;
  try {
    res = await fetch(url, {
      signal,
      redirect: "error",
      headers: {
        accept: SCRAPE_ACCEPT_HEADER,
        "user-agent": options.userAgent,
        "x-prometheus-scrape-timeout-seconds": String(options.timeoutMs / 1000),
      },
    });
  } catch (error) {
    throw new ScrapeError(describeFetchError(error, options.timeoutMs));
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ScrapeError(`server answered HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > options.maxBodyBytes && !res.headers.get("content-encoding")) {
    await res.body?.cancel().catch(() => undefined);
    throw new ScrapeError(`body is ${declared} bytes (limit ${options.maxBodyBytes} bytes)`);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    const reader = res.body?.getReader();
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > options.maxBodyBytes) {
        await reader.cancel().catch(() => undefined);
        throw new ScrapeError(`body is larger than ${options.maxBodyBytes} bytes (the limit)`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ScrapeError) throw error;
    throw new ScrapeError(describeFetchError(error, options.timeoutMs));
  }
  const contentType = (res.headers.get("content-type") ?? "").toLowerCase();
  return { text: Buffer.concat(chunks, bytes).toString("utf8"), openMetrics: contentType.startsWith("application/openmetrics-text") };
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || (error.name === "AbortError" && /timeout/i.test(String(error.message))))) {
    return `no complete answer within ${timeoutMs} ms`;
  }
  if (error instanceof Error && error.name === "AbortError") return "aborted (server closing)";
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? `cannot connect (${code})` : `request failed (${cause instanceof Error ? cause.message : String(cause)})`;
}
