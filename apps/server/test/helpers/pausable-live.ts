import { get } from "node:http";
import type { IncomingMessage } from "node:http";
import { appRouter } from "@livedash/api";
import type { LiveEvent, LiveInput } from "@livedash/events";
import { isTrackedEnvelope } from "@trpc/server";
import WebSocket from "ws";
import type { LivedashServer } from "../../src/server";
import { httpClient } from "./live-clients";
import type { ReceivedEvent } from "./live-clients";

/** Every way an event leaves the live path: the three socket transports, long-poll and createCaller. */
export type PathName = "ws" | "trpc-sse" | "sse" | "poll" | "caller";
export const PATHS: PathName[] = ["ws", "trpc-sse", "sse", "poll", "caller"];

export interface PausableLive {
  readonly events: ReceivedEvent[];
  /** Stops reading (the socket's buffers fill up, as with a stalled browser tab). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Parses `text/event-stream` chunks; calls back with each message's event name, id and data. */
function sseParser(onMessage: (name: string, id: string, data: string) => void) {
  let buffer = "";
  return (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let id = "";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("id: ")) id = line.slice(4);
        else if (line.startsWith("data: ")) data = line.slice(6);
      }
      onMessage(name, id, data);
    }
  };
}

function sseStream(url: string, events: ReceivedEvent[], named: boolean, startPaused: boolean): PausableLive {
  let response: IncomingMessage | null = null;
  let paused = startPaused;
  const parse = sseParser((name, id, data) => {
    if (named ? name === "points" || name === "reset" : name === "message") events.push({ id, data: JSON.parse(data) as LiveEvent });
  });
  const request = get(url, (res) => {
    response = res;
    if (paused) res.pause();
    res.on("data", parse);
  });
  request.on("error", () => undefined);
  return {
    events,
    pause: () => {
      paused = true;
      response?.pause();
    },
    resume: () => {
      paused = false;
      response?.resume();
    },
    close: async () => void request.destroy(),
  };
}

/**
 * A live subscriber on one path with raw clients that can stop reading: the socket transports pause
 * their socket, the createCaller stream stops pulling; a poll loop simply polls (it has no socket
 * to back up). Resets and points are recorded as received, ids included.
 */
export function openPausable(path: PathName, server: LivedashServer, input: LiveInput, startPaused = false): PausableLive {
  const events: ReceivedEvent[] = [];
  const base = server.url;
  if (path === "sse") {
    const url = new URL(`${base}/sse`);
    url.searchParams.set("series", input.series.join(","));
    if (input.lastEventId) url.searchParams.set("lastEventId", input.lastEventId);
    if (input.aggregate) url.searchParams.set("aggregate", input.aggregate.op);
    if (input.aggregate?.by) url.searchParams.set("by", input.aggregate.by.join(","));
    return sseStream(url.href, events, true, startPaused);
  }
  if (path === "trpc-sse") return sseStream(`${base}/trpc/metrics.live?input=${encodeURIComponent(JSON.stringify(input))}`, events, false, startPaused);
  if (path === "ws") {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/trpc`);
    ws.on("message", (raw) => {
      const msg = JSON.parse(raw.toString()) as { result?: { type: string; id?: string; data?: { data: LiveEvent } } };
      if (msg.result?.type === "data") events.push({ id: msg.result.id!, data: msg.result.data!.data });
    });
    ws.once("open", () => {
      if (startPaused) ws.pause();
      ws.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "metrics.live", input } }));
    });
    ws.on("error", () => undefined);
    return { events, pause: () => ws.pause(), resume: () => ws.resume(), close: async () => ws.close() };
  }
  const controller = new AbortController();
  let paused = startPaused;
  let wake: (() => void) | null = null;
  const waitWhilePaused = async () => {
    while (paused && !controller.signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
  };
  const control = {
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      wake?.();
    },
  };
  if (path === "poll") {
    const trpc = httpClient(base);
    let cursor = input.lastEventId;
    const loop = (async () => {
      // Bounded: a test never polls more than this many times.
      for (let i = 0; i < 100_000 && !controller.signal.aborted; i++) {
        await waitWhilePaused();
        const answer = await trpc.metrics.poll.query({ series: input.series, cursor, waitMs: 1_000, aggregate: input.aggregate }, { signal: controller.signal }).catch(() => null);
        if (!answer) return;
        for (const e of answer.events) events.push({ id: e.id, data: e.event });
        cursor = answer.cursor;
      }
    })();
    return { events, ...control, close: async () => (controller.abort(), wake?.(), await loop) };
  }
  const caller = appRouter.createCaller({ auth: { read: true, ingest: false }, clientKey: "test", address: "test", services: server.services }, { signal: controller.signal });
  const loop = (async () => {
    const iterable = (await caller.metrics.live(input)) as AsyncIterable<unknown>;
    for await (const value of iterable) {
      if (!isTrackedEnvelope(value)) throw new Error("metrics.live must yield tracked() events");
      events.push({ id: value[0], data: value[1] as LiveEvent });
      await waitWhilePaused();
      if (controller.signal.aborted) return;
    }
  })().catch(() => undefined);
  return { events, ...control, close: async () => (controller.abort(), wake?.(), await loop) };
}
