import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openDiskStore } from "../src/store/disk/disk-store";
import { parseRetention } from "../src/store/disk/retention";
import { tempDataDir } from "./helpers/data-dir";

const CHILD = fileURLToPath(new URL("./helpers/reserve-ids-child.ts", import.meta.url));
let data: ReturnType<typeof tempDataDir>;

beforeEach(() => {
  data = tempDataDir();
});
afterEach(() => data.remove());

describe("the event id reservation survives losing the write-ahead log", () => {
  it("ids never repeat after kill -9 and a deleted -wal/-shm (the reservation is checkpointed)", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, data.dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await vi.waitFor(() => expect(out).toContain("reserved 20000"), { timeout: 20_000, interval: 50 });
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    // What a power loss with synchronous=NORMAL can leave: the data file without its log.
    for (const name of ["livedash.db-wal", "livedash.db-shm"]) rmSync(join(data.dir, name), { force: true });
    expect(existsSync(join(data.dir, "livedash.db"))).toBe(true);

    const parsed = parseRetention("1s:1h");
    if (!parsed.ok) throw new Error(parsed.message);
    const disk = openDiskStore({ dataDir: data.dir, tiers: parsed.tiers, flushIntervalMs: 3_600_000, log: () => undefined });
    try {
      // The next run starts above every id the killed one could have handed out.
      expect(disk.ids.seq).toBe(20_000);
    } finally {
      disk.close();
    }
  });
});
