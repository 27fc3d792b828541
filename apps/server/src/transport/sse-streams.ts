import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sink } from "../live/types";
import { endAtTicketExpiry } from "./auth";

export interface SseStreamsOptions {
  /**
   * Interval of the keep-alive written to every idle-or-not stream (a comment on /sse, a `ping`
   * event for httpSubscriptionLink), so proxies and clients can tell a live stream from a dead one.
   * @default 15_000
   */
  heartbeatMs?: number;
}

interface OpenStream {
  readonly res: ServerResponse;
  readonly heartbeat: Buffer;
}

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  // nginx and some other proxies buffer responses unless told not to.
  "x-accel-buffering": "no",
} as const;

/** Written before a stream's ticket-expiry end: EventSource ignores comments; curl and logs show why. */
const TICKET_EXPIRED_COMMENT = ": ticket expired; reconnect with a new ticket\n\n";

/**
 * Owns every open SSE response: one shared heartbeat timer for all of them (not one per
 * connection), and a way to end them all on shutdown.
 */
export function createSseStreams(options: SseStreamsOptions = {}) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streams = new Set<OpenStream>();
  const adopted = new Set<ServerResponse>();
  const timer = setInterval(() => {
    for (const stream of streams) {
      // A stream that is already backed up needs no keep-alive; it would only add to its buffer.
      if (stream.res.writableLength === 0) stream.res.write(stream.heartbeat);
    }
  }, heartbeatMs);
  timer.unref();

  return {
    heartbeatMs,
    /** Starts an event stream and returns the sink the live path writes to. `onClose` runs once when it ends. */
    /**
     * `ticketExpiresAt`: for a stream opened with a ticket alone, when the ticket expires; the stream
     * ends then (a comment says why) and the client reconnects with a new ticket, resuming by id.
     */
    open(req: IncomingMessage, res: ServerResponse, spec: { transport: "sse" | "trpc-sse"; preamble: string; heartbeat: string; onClose: () => void; ticketExpiresAt?: number | null }): Sink {
      req.socket.setNoDelay(true);
      req.socket.setTimeout(0);
      // An event stream ends with its connection, so the body is delimited by close instead of
      // chunked: each shared frame is then written as-is, with no per-write chunk header.
      res.useChunkedEncodingByDefault = false;
      res.shouldKeepAlive = false;
      res.writeHead(200, SSE_HEADERS);
      res.write(spec.preamble);
      const stream: OpenStream = { res, heartbeat: Buffer.from(spec.heartbeat) };
      streams.add(stream);
      let closed = false;
      const stopExpiry = endAtTicketExpiry(spec.ticketExpiresAt ?? null, () => {
        res.end(TICKET_EXPIRED_COMMENT);
      });
      const close = () => {
        if (closed) return;
        closed = true;
        stopExpiry();
        streams.delete(stream);
        spec.onClose();
      };
      res.on("close", close);
      return {
        transport: spec.transport,
        bufferedBytes: () => res.writableLength,
        write: (frame) => {
          res.write(frame);
        },
        closeSlow: () => {
          res.end();
          // A consumer that stopped reading never lets end() flush: drop the socket outright.
          res.destroy();
        },
        onDrain(listener) {
          res.on("drain", listener);
          return () => res.off("drain", listener);
        },
      };
    },
    /**
     * A stream someone else writes (tRPC's own SSE, hosts.live): it has its own pings; it is only cut at
     * shutdown, as a dropped connection the client reconnects from (tRPC would send `return`, which ends
     * the subscription for good).
     */
    adopt(res: ServerResponse) {
      adopted.add(res);
      res.once("close", () => adopted.delete(res));
    },
    /** Ends every stream (shutdown): clients reconnect elsewhere and resume by id. */
    closeAll() {
      clearInterval(timer);
      for (const stream of streams) stream.res.end();
      streams.clear();
      for (const res of adopted) res.destroy();
      adopted.clear();
    },
  };
}

export type SseStreams = ReturnType<typeof createSseStreams>;
