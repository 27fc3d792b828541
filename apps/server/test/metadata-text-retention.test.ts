import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import protobuf from "protobufjs/minimal.js";
import { describe as suite, expect, it } from "vitest";
import { decodeMetricMetadata } from "../src/ingest/remote-write/metadata";
import { describe, unitFromUcum } from "../src/ingest/units";

// V8's slice() and trim() can return views that keep their whole source string alive. Metadata text
// outlives its request (catalog, remote_write families), so a 1 MiB HELP kept as a 1000-character
// slice pinned the whole MiB: ~4000 metadata-only requests took the server to its heap limit.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const SOURCE_CHARS = 1 << 20;
const KEPT = 40;

/** Heap growth while `keep` holds what `derive` made from KEPT distinct 1 MiB strings. */
function retainedBytes(derive: (source: string, i: number) => string): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < KEPT; i++) {
    // Distinct, flat sources (a repeat() would be shared), each ~1 MiB of one-byte characters.
    const source = `${i} `.padEnd(SOURCE_CHARS, String.fromCharCode(97 + (i % 26))) + String(i);
    kept.push(derive(source, i));
  }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  expect(kept.every((text) => text.length > 0 && text.length <= 1000)).toBe(true);
  return grown;
}

function metadataBody(help: string): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).uint32(2);
  w.uint32((2 << 3) | 2).string("node_memory_bytes");
  w.uint32((4 << 3) | 2).string(help);
  w.uint32((5 << 3) | 2).string("bytes");
  return w.finish();
}

suite("metadata text does not pin its source string", () => {
  it("remote_write help kept a 1 MiB source alive through its 1000-character slice", () => {
    const grown = retainedBytes((source) => {
      const body = metadataBody(source);
      const r = protobuf.Reader.create(body);
      const meta = decodeMetricMetadata(r, body.length);
      return meta?.help ?? "";
    });
    // 40 sources of 1 MiB: pinned they are >= 40 MiB; owned copies are 40 x 1000 characters.
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it("an OTLP/scrape description kept a 1 MiB source alive through trim()", () => {
    // Short text, then a MiB of spaces: trim() answers a view of the first characters.
    const grown = retainedBytes((_source, i) => describe(`help ${i}`.padEnd(SOURCE_CHARS, " "), null, unitFromUcum("By")));
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it("a description sliced from a large scrape body does not keep the body", () => {
    const grown = retainedBytes((source) => describe(source.slice(0, 29), null, unitFromUcum("1")));
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});
