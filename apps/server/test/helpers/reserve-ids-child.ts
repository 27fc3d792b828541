// Child process for storage-id-reservation.test.ts: opens a disk store in argv[2], checkpoints what the
// open wrote, reserves a second block of ids and reports it, then waits to be killed (never closes).
import { openDiskStore } from "../../src/store/disk/disk-store";
import { parseRetention } from "../../src/store/disk/retention";

const parsed = parseRetention("1s:1h");
if (!parsed.ok) throw new Error(parsed.message);
const disk = openDiskStore({ dataDir: process.argv[2] as string, tiers: parsed.tiers, flushIntervalMs: 3_600_000, checkpointIntervalMs: 0, log: () => undefined });
disk.reserveIds(0);
// A flush with a zero checkpoint interval checkpoints: the file now holds the epoch and the first block.
disk.flush();
const reserved = disk.reserveIds(10_000);
process.stdout.write(`reserved ${reserved}\n`);
setInterval(() => undefined, 60_000);
