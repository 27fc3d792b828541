import { startTestServer } from "@livedash/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULE_FIELDS, SILENCE_FIELDS } from "./alert-fields";
import { callMutation } from "./livedash-write";

// The Server Actions' way to the Livedash server: tRPC over plain HTTP with the ingest token.
describe("dashboard writes to a real Livedash server", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const READ = "read-token-0123456789";
  const INGEST = "ingest-token-0123456789";

  beforeAll(async () => {
    server = await startTestServer({ LIVEDASH_READ_TOKEN: READ, LIVEDASH_INGEST_TOKEN: INGEST });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("saves a rule with the ingest token, and is refused without it (saying which setting is missing)", async () => {
    const rule = { name: "from-ui", series: "app.latency", above: 100, for: "2s" };
    const refused = await callMutation({ url: server.url, token: null }, "alerts.saveRule", rule, RULE_FIELDS);
    expect(refused).toMatchObject({ ok: false, field: null });
    expect(refused.ok ? "" : refused.message).toContain("LIVEDASH_INGEST_TOKEN");
    expect(await callMutation({ url: server.url, token: INGEST }, "alerts.saveRule", rule, RULE_FIELDS)).toEqual({ ok: true, value: { ok: true } });
    const list = (await (await fetch(`${server.url}/api/alerts`, { headers: { authorization: `Bearer ${READ}` } })).json()) as { rules: { name: string; rule: { for: number } }[] };
    expect(list.rules.find((r) => r.name === "from-ui")?.rule.for).toBe(2_000);
  });

  it("names the field of the server's refusals: a selector only it compiles, a schema error, a missing thing", async () => {
    const target = { url: server.url, token: INGEST };
    expect(await callMutation(target, "alerts.saveRule", { name: "bad", series: 'app{host=~"("}', above: 1 }, RULE_FIELDS)).toMatchObject({ ok: false, field: "series" });
    expect(await callMutation(target, "alerts.saveRule", { name: "bad", series: "app", above: 1, for: "soon" }, RULE_FIELDS)).toMatchObject({ ok: false, field: "for" });
    expect(await callMutation(target, "alerts.deleteRule", { name: "never-saved" }, ["name"])).toMatchObject({ ok: false, field: "name" });
    const silence = await callMutation(target, "alerts.silence", { rule: "from-ui", reason: "r", expiresAt: 1 }, SILENCE_FIELDS);
    expect(silence).toMatchObject({ ok: false, field: "expiresAt" });
  });

  it("reports a server that does not answer instead of throwing", async () => {
    const result = await callMutation({ url: "http://127.0.0.1:1", token: INGEST }, "alerts.saveRule", {}, RULE_FIELDS);
    expect(result).toMatchObject({ ok: false, field: null });
    expect(result.ok ? "" : result.message).toMatch(/did not answer/);
  });
});
