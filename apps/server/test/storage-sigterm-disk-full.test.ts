import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest } from "./helpers/server";
import { httpClient } from "./helpers/live-clients";
import { mainUrl, startMain } from "./helpers/main-process";
import type { MainProcess } from "./helpers/main-process";
import { canMount, mountTmpfs } from "./helpers/tmpfs";

let disk: ReturnType<typeof mountTmpfs> | undefined;
const procs: MainProcess[] = [];

beforeAll(() => {
  if (canMount) disk = mountTmpfs();
});
afterAll(async () => {
  for (const proc of procs.splice(0)) {
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
  disk?.unmount();
});

const SERIES = Array.from({ length: 20 }, (_, k) => `app.full.${k}`);

describe.runIf(canMount)("SIGTERM while the disk is full", () => {
  // The final flush may still fit: SQLite reuses WAL frames a failed commit already allocated, so a
  // real full disk does not decide which way shutdown goes. What must hold either way: every accepted
  // point is on disk after a restart, or the exit is non-zero and the log names exactly how many are not.
  it("never loses an accepted point silently: it writes them all or names how many it lost", async () => {
    const dataDir = join(disk!.dir, "data");
    const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dataDir });
    procs.push(proc);
    const url = await mainUrl(proc);
    const start = Date.now();
    let value = 0;
    let accepted = 0;
    const batch = () => SERIES.map((series) => ({ series, ts: start + value, value: value++ }));
    expect((await ingest(url, batch())).status).toBe(200);
    accepted += SERIES.length;
    disk!.fill();
    // Points keep being accepted until a flush meets the full disk; those are the ones at stake.
    let status = 200;
    for (let i = 0; i < 1000 && status === 200; i++) {
      status = (await ingest(url, batch())).status;
      if (status === 200) {
        accepted += SERIES.length;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    expect(status).toBe(507);

    proc.child.kill("SIGTERM");
    const code = await proc.exited;
    const report = /storage close: (\d+) accepted points were not written to .*livedash\.db at shutdown \(disk full\)/.exec(proc.output());
    const lost = Number(report?.[1] ?? 0);
    expect(code).toBe(lost > 0 ? 1 : 0);

    disk!.free();
    const next = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dataDir });
    procs.push(next);
    const history = await httpClient(await mainUrl(next)).metrics.history.query({ series: SERIES, from: start - 1, to: start + value + 1, maxPoints: 10_000 });
    const stored = history.reduce((sum, { points }) => sum + points.length, 0);
    expect(stored + lost).toBe(accepted);
  });
});
