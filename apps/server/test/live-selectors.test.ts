import { seriesKey, SeriesSelectorSchema } from "@livedash/events";
import type { IdentifiedEvent, Point } from "@livedash/events";
import { describe, expect, it } from "vitest";
import { createMemoryEngine } from "../src/engine/memory-engine";
import { objectEncoder } from "../src/live/frames";
import { createLivePath } from "../src/live/live-path";
import type { Sink } from "../src/live/types";
import { countingIndex } from "./helpers/counting-index";

function sink(events: IdentifiedEvent[]): Sink<IdentifiedEvent> {
  return { transport: "caller", bufferedBytes: () => 0, write: (e) => events.push(e), closeSlow: () => undefined, onDrain: () => () => undefined };
}

const seriesOf = (events: IdentifiedEvent[]) => events.flatMap((e) => (e.event.type === "points" ? e.event.points.map((p) => p.series) : []));
const canonical = (text: string) => SeriesSelectorSchema.parse(text);

const cpu = (host: string, core: string) => seriesKey("host.cpu.total", { host, cpu: core });
const POINTS: Point[] = [
  { series: "host.cpu.total", ts: 1, value: 0 },
  { series: cpu("web1", "0"), ts: 1, value: 1 },
  { series: cpu("web1", "1"), ts: 1, value: 2 },
  { series: cpu("db1", "0"), ts: 1, value: 3 },
  { series: seriesKey("host.disk.read", { host: "web1", dev: "sda" }), ts: 1, value: 4 },
  { series: seriesKey("host.disk.read", { host: "web1", dev: "nvme0n1" }), ts: 1, value: 5 },
];

describe("live path: selectors with label matchers", () => {
  it("each subscriber receives exactly the series its selectors match", async () => {
    const engine = createMemoryEngine();
    const path = createLivePath(engine);
    const cases: Array<[string[], string[]]> = [
      [["host.cpu.total"], [POINTS[0]!.series, cpu("web1", "0"), cpu("web1", "1"), cpu("db1", "0")]],
      [['host.cpu.total{host="web1",cpu!="0"}'], [cpu("web1", "1")]],
      [['{host="web1"}'], [cpu("web1", "0"), cpu("web1", "1"), POINTS[4]!.series, POINTS[5]!.series]],
      [['host.disk.*{dev=~"sd.*"}', 'host.cpu.total{host=""}'], ["host.cpu.total", POINTS[4]!.series]],
      [['host.*{dev!~"sd.*",host="web1"}'], [cpu("web1", "0"), cpu("web1", "1"), POINTS[5]!.series]],
    ];
    const received = cases.map(([selectors]) => {
      const events: IdentifiedEvent[] = [];
      path.subscribe({ sink: sink(events), encoder: objectEncoder, patterns: selectors.map(canonical) });
      return events;
    });
    await engine.publish(POINTS);
    cases.forEach(([, expected], i) => expect(seriesOf(received[i]!)).toEqual(expected));
    path.close();
  });

  it("a selector limited to one name tests only keys of that name, each once; spellings of one selector share an entry", async () => {
    const engine = createMemoryEngine();
    const { index, counter } = countingIndex();
    const path = createLivePath(engine, {}, index);
    const a: IdentifiedEvent[] = [];
    const b: IdentifiedEvent[] = [];
    path.subscribe({ sink: sink(a), encoder: objectEncoder, patterns: [canonical('host.cpu.total{host="web1"}')] });
    path.subscribe({ sink: sink(b), encoder: objectEncoder, patterns: [canonical("host.cpu.total{ host = 'web1' }")] });
    expect(index.stats()).toMatchObject({ patterns: 1, globs: 1 });
    await engine.publish(POINTS);
    await engine.publish(POINTS);
    // Four keys named host.cpu.total, each tested once; the two disk keys skip the test.
    expect(counter.tests).toBe(4);
    expect(seriesOf(a)).toEqual([cpu("web1", "0"), cpu("web1", "1"), cpu("web1", "0"), cpu("web1", "1")]);
    expect(seriesOf(b)).toEqual(seriesOf(a));
    path.close();
  });

  it("a bare literal name needs no test: every label set of that name is a lookup by name", async () => {
    const engine = createMemoryEngine();
    const { index, counter } = countingIndex();
    const path = createLivePath(engine, {}, index);
    const events: IdentifiedEvent[] = [];
    path.subscribe({ sink: sink(events), encoder: objectEncoder, patterns: ["host.disk.read", "process.rss_bytes"] });
    await engine.publish(POINTS);
    expect(counter.tests).toBe(0);
    expect(seriesOf(events)).toEqual([POINTS[4]!.series, POINTS[5]!.series]);
    path.close();
  });
});

describe("live path: regex matchers have a server-wide cap of their own", () => {
  it("refuses selectors past LIVEDASH_MAX_LIVE_REGEX_MATCHERS, naming it; released ones make room, idle ones are dropped", async () => {
    const engine = createMemoryEngine();
    const { index, counter } = countingIndex({ maxRegexMatchers: 3 });
    const path = createLivePath(engine, {}, index);
    const subscribe = (patterns: string[], address = "10.0.0.1") => path.subscribe({ sink: sink([]), encoder: objectEncoder, patterns: patterns.map(canonical), address });
    const a = subscribe(['{dev=~"sd.*",host!~"db.*"}', 'x{cpu="0"}']);
    // The same selector written otherwise adds nothing; equality matchers never count.
    subscribe(["{ host!~'db.*', dev=~'sd.*' }", 'y{a="1",b!="2"}'], "10.0.0.2");
    expect(index.stats().regexMatchers).toBe(2);
    expect(() => subscribe(['{a=~"1"}', '{b=~"2"}'])).toThrow(/at most 3 regex matchers \(=~, !~\) in its distinct selectors \(LIVEDASH_MAX_LIVE_REGEX_MATCHERS\); 2 are in use and these selectors add 2/);
    const b = subscribe(['{a=~"1"}']);
    expect(index.stats().regexMatchers).toBe(3);
    b.unsubscribe();
    // b's selector is idle (still compiled, still counted as compiled); a new regex takes its place.
    subscribe(['{c=~"3"}']);
    expect(index.stats()).toMatchObject({ regexMatchers: 3, idle: 0 });
    // A new key is tested against the compiled label-only selectors ({dev,host} and {c}); x{} and y{}
    // name other series; the dropped idle {a=~"1"} costs nothing any more.
    await engine.publish([{ series: "k", ts: 1, value: 1 }]);
    expect(counter.tests).toBe(2);
    a.unsubscribe();
    path.close();
  });
});
