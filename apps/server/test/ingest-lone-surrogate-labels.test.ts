import { describe, expect, it } from "vitest";
import { tempDataDir } from "./helpers/data-dir";
import { startTestServer } from "./helpers/server";

/**
 * Attack review (F5): a label value with a lone surrogate (`x\ud800`, `x\udc00`) was accepted; the disk
 * store's SQLite turns each into U+FFFD when it writes UTF-8, so after a restart the two series were one
 * (`x\ufffd`) and a value was lost. Such a value has no UTF-8 form: it is refused, naming the label and
 * the index, and nothing reaches the store.
 */
describe("two series with lone surrogates in a label value merged into one after a disk restart", () => {
  it("JSON ingest refuses each value naming the label and the index; the restarted store holds nothing", async () => {
    const data = tempDataDir();
    const env = { LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir };
    try {
      let server = await startTestServer(env);
      const ts = Date.now();
      for (const [host, hex] of [["x\ud800", "D800"], ["x\udc00", "DC00"]] as const) {
        const res = await fetch(`${server.url}/api/ingest`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ points: [{ series: "sur.g", labels: { host }, value: 1, ts }] }),
        });
        expect(res.status).toBe(400);
        const message = ((await res.json()) as { error: { message: string } }).error.message;
        expect(message).toBe(`points[0].labels.host: label value must be well-formed Unicode: lone surrogate U+${hex} at index 1 has no UTF-8 form`);
      }
      // a lone surrogate inside a series key's braces takes the same check
      const keyed = await fetch(`${server.url}/api/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ points: [{ series: 'sur.g{host="ok\ud800"}', value: 1, ts }] }),
      });
      expect(keyed.status).toBe(400);
      expect(((await keyed.json()) as { error: { message: string } }).error.message).toContain("label host: label value must be well-formed Unicode: lone surrogate U+D800 at index 2");
      await server.close();
      server = await startTestServer(env);
      expect(server.services.store.catalog().map((item) => item.name)).toEqual([]);
      await server.close();
    } finally {
      data.remove();
    }
  }, 60_000);
});
