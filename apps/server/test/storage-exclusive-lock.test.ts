import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingest } from "./helpers/server";
import { mainUrl, startMain } from "./helpers/main-process";
import type { MainProcess } from "./helpers/main-process";
import { tempDataDir } from "./helpers/data-dir";

let data: ReturnType<typeof tempDataDir>;
const procs: MainProcess[] = [];

beforeEach(() => {
  data = tempDataDir();
});
afterEach(async () => {
  for (const proc of procs.splice(0)) {
    proc.child.kill("SIGKILL");
    await proc.exited;
  }
  data.remove();
});

function start(): MainProcess {
  const proc = startMain({ PORT: "0", LIVEDASH_STORAGE: "disk", LIVEDASH_DATA_DIR: data.dir });
  procs.push(proc);
  return proc;
}

/** A separate process that only opens the data file read-only and reads one row; prints what happened. */
function readOnlyReader(file: string): Promise<string> {
  const script = `
    const Database = require("better-sqlite3");
    try {
      const db = new Database(${JSON.stringify(file)}, { readonly: true, fileMustExist: true, timeout: 0 });
      db.prepare("SELECT count(*) AS n FROM series").get();
      console.log("read ok");
    } catch (error) { console.log("refused " + error.code); }
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: join(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once("exit", () => resolve(out.trim())));
}

describe("two servers on one data directory (exclusive lock)", () => {
  it("refuses the second server with exit 2, naming the data directory and the first server's pid", async () => {
    const first = start();
    const url = await mainUrl(first);
    expect((await ingest(url, [{ series: "app.lock", ts: Date.now(), value: 1 }])).status).toBe(200);

    const second = start();
    expect(await second.exited).toBe(2);
    expect(second.output().trim()).toBe(
      `livedash: storage: data directory ${data.dir} is in use by another livedash server (pid ${first.child.pid}): stop it, or give this one another LIVEDASH_DATA_DIR`,
    );
    // The first one is untouched and still takes points.
    expect((await ingest(url, [{ series: "app.lock", ts: Date.now(), value: 2 }])).status).toBe(200);
  });

  it("keeps even a read-only process out while a server runs, and lets the next server in after a kill -9", async () => {
    const first = start();
    await mainUrl(first);
    expect(await readOnlyReader(join(data.dir, "livedash.db"))).toBe("refused SQLITE_BUSY");

    first.child.kill("SIGKILL");
    await first.exited;
    // The kernel dropped the lock with the process: no stale lock file blocks the restart.
    const next = start();
    await mainUrl(next);
  });
});
