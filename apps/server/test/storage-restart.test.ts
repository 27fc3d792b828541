import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ingest } from "./helpers/server";
import { httpClient, openLive, TRANSPORTS } from "./helpers/live-clients";
import type { LiveClient } from "./helpers/live-clients";
import { mainUrl, startMain } from "./helpers/main-process";
import type { MainProcess } from "./helpers/main-process";
import { tempDataDir } from "./helpers/data-dir";

let data: ReturnType<typeof tempDataDir>;
const procs: MainProcess[] = [];
const clients: LiveClient[] = [];

beforeEach(() => {
  data = tempDataDir();
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const proc of procs.splice(0)) {
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
  data.remove();
});

async function start(): Promise<{ proc: MainProcess; url: string }> {
  const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir });
  procs.push(proc);
  return { proc, url: await mainUrl(proc) };
}

async function flushes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^livedash_storage_flushes_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** Waits until a flush began after this call: everything accepted before it is committed. */
async function committed(url: string): Promise<void> {
  const before = await flushes(url);
  await vi.waitFor(async () => expect(await flushes(url)).toBeGreaterThan(before + 1), { timeout: 10_000, interval: 100 });
}

/** Stops the process the way the case says: SIGTERM (clean close) or SIGKILL after the data is committed. */
async function stop(proc: MainProcess, url: string, how: "SIGTERM" | "SIGKILL"): Promise<void> {
  if (how === "SIGKILL") await committed(url);
  proc.child.kill(how);
  const code = await proc.exited;
  if (how === "SIGTERM") expect(code).toBe(0);
}

const T0 = Date.now() - 60_000;
const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ series: "app.restart", ts: T0 + (from + i) * 100, value: from + i }));

describe("durable history across a restart", () => {
  it.each(["SIGTERM", "SIGKILL"] as const)("keeps every accepted point after %s", async (how) => {
    const first = await start();
    expect(first.proc.output()).toContain(`storage disk, data in ${join(data.dir, "livedash.db")}`);
    expect((await ingest(first.url, batch(0, 300))).status).toBe(200);
    await stop(first.proc, first.url, how);

    const second = await start();
    const history = await httpClient(second.url).metrics.history.query({ series: ["app.restart"], from: T0 - 1, to: T0 + 60_000, maxPoints: 1000 });
    expect(history[0]!.points.map((p) => p.value)).toEqual(batch(0, 300).map((p) => p.value));
    const catalog = await httpClient(second.url).metrics.catalog.query();
    expect(catalog.find((s) => s.name === "app.restart")?.last).toEqual({ ts: T0 + 299 * 100, value: 299 });
  });

  it("stops with one clear message and exit code 2 on a corrupt data file", async () => {
    writeFileSync(join(data.dir, "livedash.db"), "this is not a database, it only has a name like one".repeat(100));
    const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir });
    procs.push(proc);
    expect(await proc.exited).toBe(2);
    expect(proc.output().trim()).toBe(
      `livedash: storage: data file ${join(data.dir, "livedash.db")} is not a SQLite database (corrupt or overwritten). Stop the server and move the file aside (mv ${join(data.dir, "livedash.db")} ${join(data.dir, "livedash.db")}.corrupt, with its -wal and -shm files) to start with empty history, or restore it from a backup.`,
    );
  });
});

describe.each(TRANSPORTS)("resume across a restart over %s", (transport) => {
  it.each(["SIGTERM", "SIGKILL"] as const)("replays what was missed with no reset after %s", async (how) => {
    const first = await start();
    const before = openLive(transport, first.url, { series: ["app.*"] });
    clients.push(before);
    // Subscribed: the first batch reaches the client (poll and SSE need a moment to attach).
    await vi.waitFor(async () => {
      await ingest(first.url, batch(0, 1));
      expect(before.points().length).toBeGreaterThan(0);
    }, { timeout: 10_000, interval: 200 });
    // One more batch, awaited alone, so the last id seen is the last id issued before the restart.
    expect((await ingest(first.url, batch(500, 1))).status).toBe(200);
    await vi.waitFor(() => expect(before.points().at(-1)?.value).toBe(500), { timeout: 10_000, interval: 50 });
    const lastId = before.events.at(-1)!.id;
    const seen = before.points().length;
    await before.close();
    clients.splice(clients.indexOf(before), 1);
    // Missed while disconnected, before the restart: must come back by replay from disk.
    expect((await ingest(first.url, batch(1000, 5))).status).toBe(200);
    await stop(first.proc, first.url, how);

    const second = await start();
    const after = openLive(transport, second.url, { series: ["app.*"], lastEventId: lastId });
    clients.push(after);
    await vi.waitFor(() => expect(after.points().map((p) => p.value)).toEqual([1000, 1001, 1002, 1003, 1004]), { timeout: 10_000, interval: 50 });
    expect((await ingest(second.url, batch(2000, 2))).status).toBe(200);
    await vi.waitFor(() => expect(after.points().map((p) => p.value)).toEqual([1000, 1001, 1002, 1003, 1004, 2000, 2001]), { timeout: 10_000, interval: 50 });
    expect(after.events.filter((e) => e.data.type === "reset")).toEqual([]);
    expect(seen).toBeGreaterThan(0);
    // Ids keep increasing across the restart: the event after the replay sorts after the old id.
    const [oldEpoch, oldSeq] = lastId.split("-");
    const [newEpoch, newSeq] = after.events.at(-1)!.id.split("-");
    expect(newEpoch).toBe(oldEpoch);
    expect(Number(newSeq)).toBeGreaterThan(Number(oldSeq));
  });
});
