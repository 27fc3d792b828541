import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest } from "./helpers/server";
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

describe.runIf(canMount)("SIGTERM while the disk is full", () => {
  it("reports the accepted points it could not write and exits non-zero", async () => {
    const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: join(disk!.dir, "data") });
    procs.push(proc);
    const url = await mainUrl(proc);
    let value = 0;
    const batch = () => Array.from({ length: 20 }, (_, k) => ({ series: `app.full.${k}`, ts: Date.now(), value: value++ }));
    expect((await ingest(url, batch())).status).toBe(200);
    disk!.fill();
    // Points keep being accepted until a flush meets the full disk; those are the ones at stake.
    let status = 200;
    for (let i = 0; i < 1000 && status === 200; i++) {
      status = (await ingest(url, batch())).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe(507);

    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(1);
    const count = /storage close: (\d+) accepted points were not written to .*livedash\.db at shutdown \(disk full\)/.exec(proc.output());
    expect(Number(count?.[1])).toBeGreaterThan(0);
  });
});
