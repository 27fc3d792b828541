/**
 * WebSocket close codes Livedash sends or acts on, in one place (RFC 6455 §7.4.1 for the 1xxx codes;
 * 4000-4999 are private to the application). Server, client, web probes and bench all read them here.
 */
export const WS_CLOSE = {
  /** A side that is done closes normally. */
  normal: 1000,
  /** Abnormal closure: never sent, reported locally when the socket dropped without a close frame. */
  abnormal: 1006,
  /** Policy violation: the message rate limit, or requests queued without the connectionParams message. */
  policyViolation: 1008,
  /** Message too big: `ws` closes with it when a client message passes the server's max payload. */
  messageTooBig: 1009,
  /** Service restart: the server is shutting down (after tRPC's `reconnect` notice); reconnect and resume. */
  serviceRestart: 1012,
  /** Slow consumer: the client stayed above the hard cap of buffered bytes; reconnect and resume by id. */
  slowConsumer: 4008,
  /** The ticket that authenticated the socket expired: reconnect with a new ticket and resume by id (not a blocked transport). */
  ticketExpired: 4401,
} as const;

export type WsCloseCode = (typeof WS_CLOSE)[keyof typeof WS_CLOSE];

const NAMES = new Map<number, string>(Object.entries(WS_CLOSE).map(([name, code]) => [code, name]));

/** "4008 slowConsumer" for a known code, the bare number otherwise: for log lines and error messages. */
export function describeWsClose(code: number): string {
  const name = NAMES.get(code);
  return name ? `${code} ${name}` : String(code);
}
