import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";

const HEADER = "x-request-id";
/** A caller's own id is kept when it is short and plain, so a proxy's id follows the request into our log. */
const CALLER_ID = /^[\w.:-]{1,64}$/;

/**
 * Ids that tie a log line to a response: every HTTP response carries `x-request-id`, and every error
 * line about that request names it. Ids are `<instance prefix>-<counter>`: unique per process, cheap.
 */
export function createRequestIds() {
  const prefix = randomBytes(3).toString("hex");
  let seq = 0;
  const byRequest = new WeakMap<IncomingMessage, string>();
  const next = () => `${prefix}-${(++seq).toString(36)}`;
  return {
    /** A fresh id (a WebSocket connection's, for example). */
    next,
    /** Takes the caller's `x-request-id` or makes one, echoes it on the response and remembers it. */
    assign(req: IncomingMessage, res: ServerResponse): string {
      const header = req.headers[HEADER];
      const id = typeof header === "string" && CALLER_ID.test(header) ? header : next();
      byRequest.set(req, id);
      res.setHeader(HEADER, id);
      return id;
    },
    /** The id assign() gave this request. */
    of(req: IncomingMessage): string | undefined {
      return byRequest.get(req);
    },
  };
}

export type RequestIds = ReturnType<typeof createRequestIds>;
