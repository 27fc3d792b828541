import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LivedashServer } from "../src/server";
import { startTestServer } from "./helpers/server";

const RULE =
  "label value must not contain invisible or bidirectional formatting characters (Unicode Default_Ignorable_Code_Point, Bidi_Control, U+2028, U+2029; " +
  "ZWJ/ZWNJ only between two letters of a script that joins, U+FE0E/U+FE0F only after an emoji, LRM/RLM/ALM only in a value with right-to-left letters)";

/**
 * #13 left alone (L2): a `host` value with a zero-width or bidi formatting character was stored, and
 * `web\u200b1` showed in the fleet view as a second `web1`. Every ingest path refuses it, naming the label.
 */
describe("host values with zero-width or bidi characters let one host pass for another", () => {
  let server: LivedashServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("JSON ingest: 400 naming points[i].labels.host and the rule", async () => {
    const body = { points: [{ series: "host.load.1m", labels: { host: "web1" }, value: 1 }, { series: "host.load.1m", labels: { host: "web\u200b1" }, value: 1 }] };
    const res = await fetch(`${server.url}/api/ingest`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`points[1].labels.host: ${RULE}: U+200B at index 3`);
  });

  it("line protocol: 400 naming the line and tag; a right-to-left override too", async () => {
    const res = await fetch(`${server.url}/api/write`, { method: "POST", body: "host.load,host=web1 1m=1\nhost.load,host=\u202e1bew 1m=1\n" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`line 2: tag 'host': ${RULE}: U+202E at index 0`);
  });

  it("nothing of the refused requests reached the fleet view", () => {
    expect(server.services.hosts.list().hosts).toEqual([]);
  });
});
