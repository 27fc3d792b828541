import http from "node:http";
import { LIVE_PROCEDURE, POLL_PROCEDURE, WS_CLOSE, WS_RECONNECT_NOTICE, wsSubscribeMessage } from "@livedash/events";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { rawUpgrade, textFrame } from "./helpers/raw-ws";
import { reportResult } from "./helpers/results";
import { connectionsOf, startServerProcess } from "./helpers/server-process";
import type { ServerProcess } from "./helpers/server-process";

const WS_CLIENTS = 250;
const PLAIN_SSE_CLIENTS = 100;
const TRPC_SSE_CLIENTS = 50;
const POLL_CLIENTS = 100;
const SERIES = "term.live";
const WAIT = { timeout: 30_000, interval: 50 };

interface ClientState {
  kind: "ws" | "sse" | "trpc-sse" | "poll";
  /** Live points (WS, SSE) or events (poll) received. */
  received: number;
  gotReconnectNotice: boolean;
  /** WS close code, "end" for a stream or poll that ended cleanly, or the error that ended it. */
  ending: string | null;
  status: number | null;
}

function openWs(url: string): ClientState {
  const state: ClientState = { kind: "ws", received: 0, gotReconnectNotice: false, ending: null, status: null };
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/trpc`, { perMessageDeflate: false });
  ws.on("open", () => ws.send(JSON.stringify(wsSubscribeMessage(1, LIVE_PROCEDURE, { series: [SERIES] }))));
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as { id: unknown; method?: string; result?: { type: string; data?: unknown } };
    if (message.id === WS_RECONNECT_NOTICE.id && message.method === WS_RECONNECT_NOTICE.method) state.gotReconnectNotice = true;
    else if (message.result?.type === "data") state.received++;
  });
  ws.on("close", (code) => (state.ending = String(code)));
  ws.on("error", () => undefined);
  return state;
}

/** A plain HTTP GET held open: an SSE stream or a long-poll. Its own connection (no agent pooling). */
function openGet(kind: ClientState["kind"], url: string): ClientState {
  const state: ClientState = { kind, received: 0, gotReconnectNotice: false, ending: null, status: null };
  const req = http.get(url, { agent: false, headers: { accept: kind === "poll" ? "application/json" : "text/event-stream" } }, (res) => {
    state.status = res.statusCode ?? null;
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (state.received += chunk.split(SERIES).length - 1));
    res.on("end", () => (state.ending ??= "end"));
    res.on("error", (error) => (state.ending ??= error.message));
  });
  req.on("error", (error) => (state.ending ??= error.message));
  return state;
}

const tally = (states: ClientState[], pick: (s: ClientState) => string | boolean | null) => {
  const out: Record<string, number> = {};
  for (const s of states) out[String(pick(s))] = (out[String(pick(s))] ?? 0) + 1;
  return out;
};

describe("SIGTERM", () => {
  let proc: ServerProcess | null = null;
  afterEach(() => {
    proc?.child.kill("SIGKILL");
    proc = null;
  });

  it(`with ${WS_CLIENTS + PLAIN_SSE_CLIENTS + TRPC_SSE_CLIENTS + POLL_CLIENTS} clients (WS, SSE, tRPC SSE, long-poll): exit 0 within the shutdown timeout, WS clients told to reconnect, SSE streams ended`, async () => {
    proc = await startServerProcess();
    const { url } = proc;
    const ws = Array.from({ length: WS_CLIENTS }, () => openWs(url));
    const sse = Array.from({ length: PLAIN_SSE_CLIENTS }, () => openGet("sse", `${url}/sse?series=${SERIES}`));
    const trpcSse = Array.from({ length: TRPC_SSE_CLIENTS }, () =>
      openGet("trpc-sse", `${url}/trpc/${LIVE_PROCEDURE}?input=${encodeURIComponent(JSON.stringify({ series: [SERIES] }))}`),
    );
    await vi.waitFor(async () => expect(await connectionsOf(url)).toMatchObject({ ws: WS_CLIENTS, sse: PLAIN_SSE_CLIENTS, trpc_sse: TRPC_SSE_CLIENTS }), WAIT);
    // Every stream is live, not merely connected: each gets a point.
    const res = await fetch(`${url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ points: [{ series: SERIES, value: 1 }] }) });
    expect(res.status).toBe(200);
    const streams = [...ws, ...sse, ...trpcSse];
    await vi.waitFor(() => expect(streams.filter((s) => s.received === 0)).toEqual([]), WAIT);
    // Long-polls opened after that point wait for the next one, which never comes before the signal.
    const polls = Array.from({ length: POLL_CLIENTS }, () =>
      openGet("poll", `${url}/trpc/${POLL_PROCEDURE}?input=${encodeURIComponent(JSON.stringify({ series: [SERIES], waitMs: 30_000 }))}`),
    );
    await vi.waitFor(async () => expect((await connectionsOf(url)).poll).toBe(POLL_CLIENTS), WAIT);

    const signalAt = performance.now();
    proc.child.kill("SIGTERM");
    const exit = await proc.exited;
    const all = [...streams, ...polls];
    await vi.waitFor(() => expect(all.filter((s) => s.ending === null)).toEqual([]), WAIT);

    reportResult("sigterm", {
      clients: all.length,
      exitCode: exit.code,
      exitAfterMs: Math.round(exit.atMs - signalAt),
      wsReconnectNotices: ws.filter((s) => s.gotReconnectNotice).length,
      wsCloseCodes: tally(ws, (s) => s.ending),
      sseEndings: tally(sse, (s) => s.ending),
      trpcSseEndings: tally(trpcSse, (s) => s.ending),
      pollEndings: tally(polls, (s) => (s.status ? `${s.status} ${s.ending}` : s.ending)),
    });
    // main.ts exits 1 from its hard-exit timer when close() does not finish in time: 0 means it did.
    expect(exit, proc.output()).toMatchObject({ code: 0, signal: null });
    expect(proc.output()).toMatch(/SIGTERM received, closing/);
    expect(tally(ws, (s) => s.gotReconnectNotice)).toEqual({ true: WS_CLIENTS });
    expect(tally(ws, (s) => s.ending)).toEqual({ [WS_CLOSE.serviceRestart]: WS_CLIENTS });
    expect(tally([...sse, ...trpcSse], (s) => s.ending)).toEqual({ end: PLAIN_SSE_CLIENTS + TRPC_SSE_CLIENTS });
    // Answered (empty, with their cursor) before the sockets close, not cut with "socket hang up".
    expect(tally(polls, (s) => (s.status ? `${s.status} ${s.ending}` : s.ending))).toEqual({ "200 end": POLL_CLIENTS });
  }, 120_000);

  it("with a WebSocket peer that never answers the close handshake: still exit 0 within the shutdown timeout", async () => {
    proc = await startServerProcess();
    const healthy = openWs(proc.url);
    const silent = await rawUpgrade(proc.url);
    silent.socket.write(textFrame(JSON.stringify(wsSubscribeMessage(1, LIVE_PROCEDURE, { series: [SERIES] }))));
    await vi.waitFor(async () => expect((await connectionsOf(proc!.url)).ws).toBe(2), WAIT);
    // It stops reading (so it neither sees the close frame nor answers it) but keeps its TCP connection.
    silent.socket.pause();

    const signalAt = performance.now();
    proc.child.kill("SIGTERM");
    const exit = await proc.exited;
    console.log(`[reliability] sigterm with a silent peer: exit ${exit.code} after ${Math.round(exit.atMs - signalAt)} ms`);
    silent.socket.destroy();
    expect(exit, proc.output()).toMatchObject({ code: 0, signal: null });
    await vi.waitFor(() => expect(healthy.ending).toBe(String(WS_CLOSE.serviceRestart)), WAIT);
    expect(healthy.gotReconnectNotice).toBe(true);
  }, 60_000);
});
