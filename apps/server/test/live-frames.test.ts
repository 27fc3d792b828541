import { IdentifiedEventSchema, LiveEventSchema, PLAIN_SSE_EVENTS, WsTrackedEventMessageSchema } from "@livedash/events";
import type { LiveEvent } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { objectEncoder, plainSseFrameEncoder, trpcSseFrameEncoder, wsFrameEncoder } from "../src/live/frames";
import { WireEvent } from "../src/live/wire-event";

const bigPoints = Array.from({ length: 2_000 }, (_, i) => ({ series: `host.cpu:core-${i}.user_pct`, ts: 1_700_000_000_000 + i, value: i / 3 }));
const EVENTS: [string, LiveEvent][] = [
  ["mxb1dkqj-42", { type: "points", points: [{ series: "host.cpu.user", ts: 1_700_000_000_000, value: -0.5 }] }],
  ["1700000000000-7", { type: "points", points: [{ series: "a.b", ts: 1, value: 1e300 }], coalesced: true }],
  ["1700000000000-8", { type: "points", points: bigPoints }],
  ["mxb1dkqj-43", { type: "reset", reason: "engine-restarted" }],
];

/** The payload of one unmasked WebSocket text frame (RFC 6455 §5.2). */
function unframe(frame: Buffer): string {
  expect(frame[0]).toBe(0x81);
  const len7 = frame[1]! & 0x7f;
  const [length, offset] = len7 < 126 ? [len7, 2] : len7 === 126 ? [frame.readUInt16BE(2), 4] : [Number(frame.readBigUInt64BE(2)), 10];
  expect(frame.length).toBe(offset + length);
  return frame.subarray(offset).toString();
}

/** Fields of one SSE message (`name: value` lines, blank line at the end). */
function sseFields(frame: Buffer): Record<string, string> {
  const text = frame.toString();
  expect(text.endsWith("\n\n")).toBe(true);
  return Object.fromEntries(text.slice(0, -2).split("\n").map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]));
}

// What each transport puts on the wire must parse with the @livedash/events schemas into the very event
// the live path decided: the frame builders have no other type link to LiveEvent.
describe.each(EVENTS)("frames of event %s", (id, event) => {
  const wire = new WireEvent(id, event);

  it("wsLink: a tracked data message for the request id", () => {
    for (const requestId of [1, "sub-7"]) {
      const message = WsTrackedEventMessageSchema.parse(JSON.parse(unframe(wsFrameEncoder(requestId).encode(wire))));
      expect(message).toEqual({ id: requestId, result: { type: "data", id, data: { id, data: event } } });
    }
  });

  it("tRPC SSE: an unnamed message, data the event, id the event id", () => {
    const fields = sseFields(trpcSseFrameEncoder.encode(wire));
    expect(Object.keys(fields).sort()).toEqual(["data", "id"]);
    expect(fields.id).toBe(id);
    expect(LiveEventSchema.parse(JSON.parse(fields.data!))).toEqual(event);
  });

  it("/sse: an event named after its type", () => {
    const fields = sseFields(plainSseFrameEncoder.encode(wire));
    expect(PLAIN_SSE_EVENTS).toContain(fields.event);
    expect(fields.event).toBe(event.type);
    expect(fields.id).toBe(id);
    expect(LiveEventSchema.parse(JSON.parse(fields.data!))).toEqual(event);
  });

  it("in process: the identified event itself", () => {
    expect(IdentifiedEventSchema.parse(objectEncoder.encode(wire))).toEqual({ id, event });
  });

  it("is built once per encoder key and shared", () => {
    expect(wire.frame(plainSseFrameEncoder)).toBe(wire.frame(plainSseFrameEncoder));
    expect(wire.frame(wsFrameEncoder(3))).toBe(wire.frame(wsFrameEncoder(3)));
    expect(wire.frame(wsFrameEncoder(3))).not.toBe(wire.frame(wsFrameEncoder(4)));
  });
});
