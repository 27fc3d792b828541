import { describe, expect, it } from "vitest";
import { accountFrame, countOccurrences, createSseSplitter, findPoints } from "../lib/frames.mjs";

const points = [{ series: "bench.s0", ts: 1000, value: 1 }, { series: "bench.s1", ts: 1000, value: 2 }];
const wsFrame = JSON.stringify({ id: 1, result: { type: "data", data: { id: "e-1", data: { type: "points", points } }, id: "e-1" } });

describe("accountFrame", () => {
  it("counts events and points without parsing, and records latency only for sampled frames", () => {
    const buf = Buffer.from(wsFrame);
    const latencies = [];
    expect(accountFrame(buf, 0, buf.length, false, (ms) => latencies.push(ms), 1500)).toEqual({ events: 1, points: 2 });
    expect(latencies).toEqual([]);
    accountFrame(buf, 0, buf.length, true, (ms) => latencies.push(ms), 1500);
    expect(latencies).toEqual([500, 500]);
  });

  it("ignores frames without points (started, reset, pings)", () => {
    const buf = Buffer.from('{"id":1,"result":{"type":"started"}}');
    expect(accountFrame(buf, 0, buf.length, true, () => {}, 0)).toEqual({ events: 0, points: 0 });
  });
});

describe("findPoints", () => {
  it("finds points in the tRPC WS, tRPC SSE and plain SSE shapes", () => {
    expect(findPoints(JSON.parse(wsFrame))).toHaveLength(2);
    expect(findPoints({ type: "points", points })).toHaveLength(2);
    expect(findPoints({ type: "reset", reason: "too-old" })).toBeNull();
  });
});

describe("createSseSplitter", () => {
  it("hands every data line to the callback across chunk boundaries, skipping comments and named empty events", () => {
    const seen = [];
    const splitter = createSseSplitter((buf, start, end) => seen.push(buf.toString("utf8", start, end)));
    const stream = `: hi\n\nevent: connected\ndata: {"a":1}\n\nevent: points\nid: e-1\ndata: {"type":"points","points":[]}\n\n` +
      `data: {"type":"points","points":[1]}\nid: e-2\n\n\nevent: ping\ndata: \n\n`;
    const bytes = Buffer.from(stream);
    for (let i = 0; i < bytes.length; i += 7) splitter.push(bytes.subarray(i, i + 7));
    expect(seen).toEqual(['{"a":1}', '{"type":"points","points":[]}', '{"type":"points","points":[1]}', ""]);
  });
});

describe("countOccurrences", () => {
  it("counts only inside the range", () => {
    const buf = Buffer.from("ab ab ab");
    expect(countOccurrences(buf, Buffer.from("ab"))).toBe(3);
    expect(countOccurrences(buf, Buffer.from("ab"), 1, 5)).toBe(1);
  });
});
