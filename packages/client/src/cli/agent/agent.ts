import { startCollectors } from "@livedash/collectors";
import type { Point, SeriesMeta } from "@livedash/events";
import { retryDelayMs } from "../../ladder/backoff";
import type { RetryPolicy } from "../../ladder/backoff";
import { EXIT_CONFIG } from "./agent-args";
import type { AgentConfig } from "./agent-args";
import { AGENT_META, createAgentSeries } from "./agent-series";
import { sendBatch } from "./ingest-sender";
import { createPointBuffer } from "./point-buffer";
import { readTokenFile } from "./token-file";

export interface AgentIo {
  /** One log line (systemd's journal takes stderr). */
  stderr(line: string): void;
  /** Aborted on SIGTERM/SIGINT: flush the buffer (bounded by --flush-timeout), then resolve 0. */
  signal?: AbortSignal;
}

interface Outage {
  readonly since: number;
  /** The last failure logged; a different one is logged at once. */
  readonly message: string;
  readonly remindedAt: number;
}

/** While the server stays unreachable (or the buffer stays full), repeat the news at most this often. */
const REMINDER_MS = 60_000;

/**
 * `livedash agent`: collectors -> bounded buffer -> one request at a time to POST /api/ingest,
 * oldest points first. Points carry the ts of the tick that collected them, so a batch sent late
 * still lands where it belongs. Resolves with the exit code.
 */
export async function runAgent(config: AgentConfig, io: AgentIo): Promise<number> {
  const log = (line: string): void => io.stderr(`livedash agent: ${line}`);
  let token: string | undefined;
  if (config.tokenFile !== undefined) {
    const read = await readTokenFile(config.tokenFile);
    if (!read.ok) {
      log(read.message);
      return EXIT_CONFIG;
    }
    if (read.warning !== null) log(`warning: ${read.warning}`);
    token = read.token;
  }

  const policy: RetryPolicy = { retryFloorMs: 100, backoffBaseMs: 500, maxBackoffMs: config.maxBackoffMs };
  const buffer = createPointBuffer(config.bufferPoints);
  const agentSeries = createAgentSeries(config.host, config.intervalMs);
  const meta: SeriesMeta[] = [...AGENT_META];
  // Meta goes with the first batch and again after every outage (a restarted server may have lost it).
  let metaSent = false;
  let droppedUnlogged = 0;
  /** Points in batches the server refused for good (a 400): dropped, and said so at the end. */
  let refusedPoints = 0;
  let lastDropLogAt = -Infinity;
  const noteDrops = (count: number, why: string): void => {
    if (count <= 0) return;
    droppedUnlogged += count;
    if (Date.now() - lastDropLogAt < REMINDER_MS) return;
    lastDropLogAt = Date.now();
    log(`${why}: dropped the oldest ${droppedUnlogged} points (${buffer.dropped} since start)`);
    droppedUnlogged = 0;
  };
  const bufferFull = `buffer full (--buffer-points ${config.bufferPoints})`;

  let wake: (() => void) | null = null;
  /** True while the send loop idles on an empty buffer: a tick then wakes it (a loop in backoff keeps its schedule). */
  let waitingForWork = false;
  const wakeUp = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  /** Resolves after `ms`, or earlier when a tick arrives or shutdown starts. */
  const pause = (ms: number | null): Promise<void> =>
    new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(wakeUp, ms);
      wake = () => {
        if (timer !== null) clearTimeout(timer);
        resolve();
      };
    });

  const collectors = startCollectors(
    {
      intervalMs: config.intervalMs,
      publish(points) {
        const ts = (points[0] as Point).ts;
        const tick = points.concat(agentSeries.points(ts, { buffered: buffer.size, dropped: buffer.dropped + refusedPoints }));
        noteDrops(buffer.push(tick), bufferFull);
        if (config.verbose) log(`collected ${tick.length} points at ts ${ts} (buffered ${buffer.size})`);
        if (waitingForWork) wakeUp();
      },
      describe(more) {
        meta.push(...more);
        metaSent = false;
      },
    },
    {
      hostname: config.host,
      log: { warn: ({ err, collector }, message) => log(`${collector}: ${message}: ${err instanceof Error ? err.message : String(err)}`) },
    },
  );
  log(`collecting host "${config.host}" every ${config.intervalMs / 1000}s for ${config.server} (buffer up to ${config.bufferPoints} points)`);

  // Shutdown: stop collecting, then keep sending until the buffer is empty or the flush deadline.
  let stopping = false;
  let gaveUp = false;
  /** Points of the batch being POSTed (0 between requests): taken out of the buffer, not yet settled. */
  let inFlight = 0;
  const abortInFlight = new AbortController();
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const onStop = (): void => {
    if (stopping) return;
    stopping = true;
    collectors.stop();
    // A batch being POSTed is out of the buffer but not sent yet: it is named, or the count would
    // leave it out (#13's review, L3). The stop line accounts for it: sent, refused, or unsent (put back).
    const pending = inFlight > 0 ? ` and a batch of ${inFlight} points in flight` : "";
    log(`stopping: sending ${buffer.size} buffered points${pending} (at most ${config.flushTimeoutMs / 1000}s)`);
    deadline = setTimeout(() => {
      gaveUp = true;
      abortInFlight.abort();
      wakeUp();
    }, config.flushTimeoutMs);
    wakeUp();
  };
  if (io.signal?.aborted) onStop();
  else io.signal?.addEventListener("abort", onStop, { once: true });

  let attempt = 0;
  let batchLimit = config.batchPoints;
  let connected = false;
  // In an object: TS cannot follow assignments to a plain `let` across this loop's awaits.
  const down: { outage: Outage | null } = { outage: null };
  let exitCode = 0;
  /** On a configuration exit: the batch the server answered and everything behind it, never sent. */
  let unsentAtExit = 0;
  try {
    for (;;) {
      if (gaveUp) break;
      if (buffer.size === 0) {
        if (stopping) break;
        waitingForWork = true;
        await pause(null);
        waitingForWork = false;
        continue;
      }
      const batch = buffer.take(batchLimit);
      inFlight = batch.length;
      const outcome = await sendBatch(batch, metaSent ? [] : meta, { server: config.server, token, host: config.host, signal: abortInFlight.signal });
      inFlight = 0;
      if (outcome.kind === "ok") {
        metaSent = true;
        attempt = 0;
        if (config.verbose) log(`sent ${batch.length} points, ts ${(batch[0] as Point).ts}..${(batch[batch.length - 1] as Point).ts}`);
        if (down.outage !== null) {
          log(`the server at ${config.server} answers again after ${Math.round((Date.now() - down.outage.since) / 1000)}s; sending ${buffer.size + batch.length} buffered points, oldest first`);
          down.outage = null;
        } else if (!connected) {
          log(`connected: the server at ${config.server} accepted the first batch`);
        }
        connected = true;
        continue;
      }
      if (outcome.kind === "refused-token") {
        log(
          config.tokenFile === undefined
            ? `the server at ${config.server} needs an ingest token (${outcome.status}: ${outcome.message}): pass --token-file FILE holding its LIVEDASH_INGEST_TOKEN; exiting`
            : `the server at ${config.server} refused the ingest token from ${config.tokenFile} (${outcome.status}: ${outcome.message}): put the server's LIVEDASH_INGEST_TOKEN in that file; exiting, since retrying cannot fix a wrong token`,
        );
        exitCode = EXIT_CONFIG;
        unsentAtExit = batch.length + buffer.size;
        break;
      }
      if (outcome.kind === "config") {
        // A redirect (an SSO login, http -> https) will not go away by retrying; following it would send the points nowhere.
        log(`${outcome.message}; exiting`);
        exitCode = EXIT_CONFIG;
        unsentAtExit = batch.length + buffer.size;
        break;
      }
      if (outcome.kind === "too-large" && batch.length > 1) {
        batchLimit = Math.max(1, Math.floor(batch.length / 2));
        log(`the server refused ${batch.length} points in one request (${outcome.message}); sending at most ${batchLimit} per request from now on`);
        noteDrops(buffer.putBack(batch), bufferFull);
        continue;
      }
      if (outcome.kind === "too-large" || outcome.kind === "rejected") {
        // The server will never take these points; holding them would block every later tick.
        refusedPoints += batch.length;
        log(`the server refused a batch of ${batch.length} points and they are dropped: ${outcome.message}`);
        continue;
      }
      // Transient: keep the batch at the front and try again after a backoff.
      noteDrops(buffer.putBack(batch), bufferFull);
      metaSent = false;
      if (stopping && gaveUp) break;
      const now = Date.now();
      const previous = down.outage;
      if (previous === null || previous.message !== outcome.message || now - previous.remindedAt >= REMINDER_MS) {
        log(`${outcome.message}; ${buffer.size} points buffered, retrying${previous === null ? "" : ` (down for ${Math.round((now - previous.since) / 1000)}s)`}`);
        down.outage = { since: previous === null ? now : previous.since, message: outcome.message, remindedAt: now };
      }
      const delay = Math.max(outcome.retryAfterMs ?? 0, retryDelayMs(attempt++, policy));
      await pause(delay);
    }
  } finally {
    clearTimeout(deadline);
    io.signal?.removeEventListener("abort", onStop);
    collectors.stop();
  }
  if (droppedUnlogged > 0) log(`${bufferFull}: dropped the oldest ${droppedUnlogged} points (${buffer.dropped} since start)`);
  if (exitCode !== 0 && unsentAtExit > 0) log(`exiting: ${unsentAtExit} collected points were not sent`);
  if (exitCode === 0) {
    const refused = refusedPoints > 0 ? `${refusedPoints} points the server refused were dropped (see above)` : null;
    if (buffer.size === 0) log(refused === null ? "stopped: every collected point was sent" : `stopped: ${refused}; every other collected point was sent`);
    else log(`stopped: ${refused === null ? "" : `${refused}; `}${buffer.size} points could not be sent within --flush-timeout ${config.flushTimeoutMs / 1000}s`);
  }
  return exitCode;
}
