import { describe, expect, it } from "vitest";
import {
  WS_CLOSE,
  WS_RECONNECT_NOTICE,
  WsServerMessageSchema,
  WsTrackedEventMessageSchema,
  describeWsClose,
  encodeWsTrackedEvent,
  trpcWsUrl,
  wsDataMessage,
  wsStartedMessage,
  wsStoppedMessage,
  wsTrackedEventMessage,
} from "../src";
import type { LiveEvent } from "../src";

const points: LiveEvent = { type: "points", points: [{ series: "host.cpu.user", ts: 1_700_000_000_000, value: 12.5 }] };
const reset: LiveEvent = { type: "reset", reason: "too-old" };

describe("tRPC wsLink protocol", () => {
  it.each([
    ["a numeric request id", 7, points],
    ["a string request id with quotes", 'sub "1"', reset],
  ])("encodes a tracked event from its JSON byte for byte as the message builder does, with %s", (_, requestId, event) => {
    const text = encodeWsTrackedEvent(requestId, "k3x-42", JSON.stringify(event));
    expect(text).toBe(JSON.stringify(wsTrackedEventMessage(requestId, "k3x-42", event)));
    const parsed = WsTrackedEventMessageSchema.parse(JSON.parse(text));
    expect(parsed.result.data).toEqual({ id: "k3x-42", data: event });
  });

  it("rejects a tracked event message whose event is not a LiveEvent", () => {
    const text = encodeWsTrackedEvent(1, "k3x-42", JSON.stringify({ type: "points", points: [{ series: "a", ts: 1, value: "NaN" }] }));
    expect(WsTrackedEventMessageSchema.safeParse(JSON.parse(text)).success).toBe(false);
  });

  it("every server message the builders make is a valid server message", () => {
    for (const message of [wsStartedMessage(1), wsStoppedMessage(1), wsDataMessage(2, { ok: true }), wsTrackedEventMessage(3, "1-1", points), WS_RECONNECT_NOTICE]) {
      expect(WsServerMessageSchema.safeParse(message).success, JSON.stringify(message)).toBe(true);
    }
    expect(WsServerMessageSchema.safeParse({ id: 1, result: { type: "nope" } }).success).toBe(false);
  });

  it("builds the upgrade URL, with the connectionParams flag only when asked", () => {
    expect(trpcWsUrl("http://127.0.0.1:4000/", false)).toBe("ws://127.0.0.1:4000/trpc");
    expect(trpcWsUrl("https://example.test", true)).toBe("wss://example.test/trpc?connectionParams=1");
  });
});

describe("WebSocket close codes", () => {
  it("names the codes Livedash acts on and leaves others bare", () => {
    expect(describeWsClose(WS_CLOSE.slowConsumer)).toBe("4008 slowConsumer");
    expect(describeWsClose(1012)).toBe("1012 serviceRestart");
    expect(describeWsClose(4999)).toBe("4999");
  });
});
