import { WS_CLOSE } from "@livedash/events";
import WebSocket from "ws";
import { connectionParamsMessage, fuzzMessage, rawFuzzBytes } from "./fuzz-frames";
import type { FuzzMessage } from "./fuzz-frames";
import { closeCodeOf, rawUpgrade, serverFrameReader, textFrame } from "./raw-ws";
import type { Random } from "./seeded-random";

/** What the server did with one connection's fuzzed frames. */
export interface SessionOutcome {
  frames: number;
  kinds: Record<string, number>;
  /** Close code when the server closed first; null when the session ended it. */
  serverCloseCode: number | null;
  /** `error.data.code` of every error answer. */
  errorCodes: Record<string, number>;
  pongs: number;
  /** Broken promises, each a readable sentence with what was sent. */
  violations: string[];
}

/** RFC 6455 1007: `ws` closes with it on a text frame that is not UTF-8. */
const INVALID_PAYLOAD = 1007;
/** Closes the server may answer fuzz with: invalid UTF-8, policy (rate, connectionParams), too big. */
const ALLOWED_SERVER_CLOSES = new Set<number>([INVALID_PAYLOAD, WS_CLOSE.policyViolation, WS_CLOSE.messageTooBig]);
/** Longest wait for the server to react to a burst's PING sentinel; only a stalled server reaches it. */
const SENTINEL_TIMEOUT_MS = 15_000;

const count = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
const preview = (m: FuzzMessage) => `${m.kind}: ${(typeof m.data === "string" ? m.data : m.data.toString("hex")).slice(0, 160)}`;

/** Checks one server message against the wsLink protocol; returns a violation or null. */
function checkServerMessage(text: string, outcome: SessionOutcome): string | null {
  if (text === "PONG") {
    outcome.pongs++;
    return null;
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return `server sent non-JSON text: ${text.slice(0, 200)}`;
  }
  const m = message as { id?: unknown; result?: { type?: unknown }; error?: { code?: unknown; message?: unknown; data?: { code?: unknown } }; method?: unknown };
  if (m && typeof m === "object" && m.error) {
    if (typeof m.error.code !== "number" || typeof m.error.message !== "string" || typeof m.error.data?.code !== "string") return `malformed error answer: ${text.slice(0, 300)}`;
    count(outcome.errorCodes, m.error.data.code);
    if (m.error.data.code === "INTERNAL_SERVER_ERROR") return `INTERNAL_SERVER_ERROR (a crash inside a handler, not a protocol error): ${text.slice(0, 300)}`;
    return null;
  }
  if (m && typeof m === "object" && m.result && ["started", "stopped", "data"].includes(m.result.type as string)) return null;
  return `unexpected server message: ${text.slice(0, 300)}`;
}

function newOutcome(): SessionOutcome {
  return { frames: 0, kinds: {}, serverCloseCode: null, errorCodes: {}, pongs: 0, violations: [] };
}

/**
 * One connection through a real `ws` client: optional connectionParams, then bursts of fuzzed
 * messages, each followed by a `PING` sentinel that must get its `PONG` (or the connection must have
 * been closed with an allowed code) before the next burst.
 */
export async function runWsSession(baseUrl: string, rng: Random, budget: number): Promise<SessionOutcome> {
  const outcome = newOutcome();
  const withParams = rng.chance(0.3);
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/trpc${withParams ? "?connectionParams=1" : ""}`, { perMessageDeflate: false, maxPayload: 64 * 1_048_576 });
  let closedBy: "server" | "us" | null = null;
  let onPong: (() => void) | null = null;
  const closed = new Promise<void>((resolve) =>
    ws.once("close", (code) => {
      if (closedBy === null) {
        closedBy = "server";
        outcome.serverCloseCode = code;
        if (!ALLOWED_SERVER_CLOSES.has(code)) outcome.violations.push(`server closed with ${code}, expected one of ${[...ALLOWED_SERVER_CLOSES].join(", ")}`);
      }
      onPong?.();
      resolve();
    }),
  );
  ws.on("error", (error) => outcome.violations.push(`client socket error: ${error.message}`));
  ws.on("message", (data, isBinary) => {
    if (isBinary) return void outcome.violations.push("server sent a binary frame");
    const text = data.toString();
    const violation = checkServerMessage(text, outcome);
    if (violation) outcome.violations.push(violation);
    if (text === "PONG") onPong?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.once("error", reject);
  });

  const send = (message: FuzzMessage) => {
    ws.send(message.data, { binary: message.binary });
    count(outcome.kinds, message.kind);
  };
  if (withParams) {
    const params = connectionParamsMessage(rng);
    if (params) send(params);
  }
  // Bounded: every pass sends at least one frame of the budget.
  while (outcome.frames < budget && closedBy === null) {
    const burst: FuzzMessage[] = Array.from({ length: Math.min(rng.int(1, 25), budget - outcome.frames) }, () => fuzzMessage(rng));
    for (const message of burst) send(message);
    outcome.frames += burst.length;
    const reacted = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), SENTINEL_TIMEOUT_MS);
      onPong = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    ws.send("PING");
    if (!(await reacted)) outcome.violations.push(`no PONG nor close within ${SENTINEL_TIMEOUT_MS} ms after:\n  ${burst.map(preview).join("\n  ")}`);
    onPong = null;
  }
  if (closedBy === null) {
    closedBy = "us";
    ws.close(1000);
  }
  await closed;
  return outcome;
}

/**
 * One raw TCP connection: the upgrade, then 1..3 pieces of protocol garbage and a PING sentinel.
 * The server may answer, close (any code but 1011 internal error) or wait for bytes that never come;
 * what matters is that it neither crashes nor stops serving others (checked by the caller).
 */
export async function runRawSession(baseUrl: string, rng: Random): Promise<SessionOutcome & { reaction: string }> {
  const outcome = { ...newOutcome(), reaction: "none" };
  const peer = await rawUpgrade(baseUrl);
  const done = new Promise<void>((resolve) => {
    // No reaction at all is legitimate (a frame header promised more bytes); give up quietly then.
    const timer = setTimeout(resolve, 1_000);
    const finish = (reaction: string) => {
      if (outcome.reaction === "none") outcome.reaction = reaction;
      clearTimeout(timer);
      resolve();
    };
    const read = serverFrameReader((frame) => {
      if (frame.opcode === 8) {
        outcome.serverCloseCode = closeCodeOf(frame.payload);
        if (outcome.serverCloseCode === 1011) outcome.violations.push("server closed with 1011 (internal error)");
        return finish(`close-${outcome.serverCloseCode}`);
      }
      if (frame.opcode !== 1) return;
      const text = frame.payload.toString();
      const violation = checkServerMessage(text, outcome);
      if (violation) outcome.violations.push(violation);
      if (text === "PONG") finish("pong");
    });
    peer.socket.on("data", read);
    if (peer.rest.length > 0) read(peer.rest);
    peer.socket.once("close", () => finish("tcp-close"));
    peer.socket.on("error", () => undefined);
  });
  const pieces = rng.int(1, 3);
  for (let i = 0; i < pieces; i++) {
    const { kind, bytes } = rawFuzzBytes(rng);
    count(outcome.kinds, kind);
    peer.socket.write(bytes);
  }
  outcome.frames = pieces;
  peer.socket.write(textFrame("PING"));
  await done;
  peer.socket.destroy();
  return outcome;
}
