import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mainUrl, startMain } from "./helpers/main-process";
import type { MainProcess } from "./helpers/main-process";
import { canMount, mountTmpfs } from "./helpers/tmpfs";

let disk: ReturnType<typeof mountTmpfs> | undefined;
let readOnly: ReturnType<typeof mountTmpfs> | undefined;
const procs: MainProcess[] = [];

beforeAll(() => {
  if (canMount) disk = mountTmpfs();
  if (canMount) readOnly = mountTmpfs(true);
});
afterAll(async () => {
  for (const proc of procs.splice(0)) {
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
  disk?.unmount();
  readOnly?.unmount();
});

describe.runIf(canMount)("a disk that is full when the server starts", () => {
  it("exits with the restartable code 75 and says the disk is full, and starts once space returns", async () => {
    const dir = join(disk!.dir, "data");
    mkdirSync(dir);
    disk!.fill();

    const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dir });
    procs.push(proc);
    expect(await proc.exited).toBe(75);
    expect(proc.output()).toMatch(/^livedash: storage: disk full: cannot open .*livedash\.db .*free disk space, the server starts once it can write \(exit code 75: restart it\)\n$/);

    disk!.free();
    const again = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: dir });
    procs.push(again);
    const url = await mainUrl(again);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe.runIf(canMount)("a data directory on a read-only filesystem", () => {
  it("says the filesystem is read-only (not 'unable to open database file') and exits 2", async () => {
    const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: readOnly!.dir });
    procs.push(proc);
    expect(await proc.exited).toBe(2);
    expect(proc.output().trim()).toBe(
      `livedash: storage: data directory ${readOnly!.dir} is on a read-only filesystem, so ${join(readOnly!.dir, "livedash.db")} cannot be written: mount it read-write or set LIVEDASH_DATA_DIR to a writable directory`,
    );
  });
});
