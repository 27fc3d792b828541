import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** File name of the database inside LIVEDASH_DATA_DIR. */
export const DATA_FILE = "livedash.db";
/** Pid of the server holding the data directory (informational: the lock itself is SQLite's). */
export const PID_FILE = "livedash.pid";
const SCHEMA_VERSION = "1";
const SQLITE_MAGIC = "SQLite format 3\0";

/**
 * A data directory or file the server cannot use. The message names the file and what to do;
 * main.ts prints it and exits with code 2 (a setup problem: a supervisor restarting at once would
 * only fail again, so it should not loop).
 */
export class StorageError extends Error {
  /**
   * Exit code for main.ts: 2 for a setup problem, EXIT_TEMPORARY for one that passes by itself
   * (a full disk), so a supervisor that does not restart on 2 still restarts the server.
   * @default 2
   */
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options);
    this.name = "StorageError";
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** EX_TEMPFAIL (sysexits.h): try again later. */
export const EXIT_TEMPORARY = 75;
/** Below this much free space an I/O error at open is taken for a full disk. */
const NEARLY_FULL_BYTES = 1_048_576;

export const corruptAdvice = (file: string) =>
  `Stop the server and move the file aside (mv ${file} ${file}.corrupt, with its -wal and -shm files) to start with empty history, or restore it from a backup.`;

/**
 * Cheap checks before SQLite sees the file: its magic string, and that a file whose write-ahead log
 * is empty is as long as its header says (SQLite itself would only notice a truncated file when a
 * query reaches a missing page, possibly hours later).
 */
function checkFile(file: string): void {
  if (!existsSync(file)) return;
  const size = statSync(file).size;
  if (size === 0) return;
  const header = Buffer.alloc(100);
  const fd = openSync(file, "r");
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString("latin1", 0, 16) !== SQLITE_MAGIC) {
    throw new StorageError(`data file ${file} is not a SQLite database (corrupt or overwritten). ${corruptAdvice(file)}`);
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const wal = `${file}-wal`;
  const walEmpty = !existsSync(wal) || statSync(wal).size === 0;
  // The in-header size is valid when its "version-valid-for" matches the change counter (bytes 92 and 24).
  if (walEmpty && header.readUInt32BE(92) === header.readUInt32BE(24) && pages * pageSize > size) {
    throw new StorageError(`data file ${file} is truncated (${size} bytes, its header says ${pages * pageSize}). ${corruptAdvice(file)}`);
  }
}

/** Pages (4 KiB) the WAL may hold before SQLite checkpoints it within a commit (64 MiB). */
const WAL_AUTOCHECKPOINT_PAGES = 16_384;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  -- expired = 1: no point for longer than the raw tier's retention; out of the catalog and the series
  -- cap, its chunks still answer history until they expire; ids are never reused.
  CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, meta TEXT NOT NULL, expired INTEGER NOT NULL DEFAULT 0);
  -- tier = the tier's step in ms (0 for raw points), so changing LIVEDASH_RETENTION never
  -- reinterprets old rollups as another step.
  CREATE TABLE IF NOT EXISTS chunks (
    series_id INTEGER NOT NULL, tier INTEGER NOT NULL, start_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL,
    -- 1 for a chunk of late points (backfill); for equal timestamps they sort after the in-order ones.
    late INTEGER NOT NULL, data BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chunks_by_series ON chunks (series_id, tier, start_ts);
  CREATE INDEX IF NOT EXISTS chunks_by_expiry ON chunks (tier, end_ts);
  CREATE TABLE IF NOT EXISTS heads (
    series_id INTEGER NOT NULL, tier INTEGER NOT NULL, data BLOB, open BLOB, PRIMARY KEY (series_id, tier)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS replay_log (seq INTEGER PRIMARY KEY, points BLOB NOT NULL);
  -- Points accepted since the head rows were written, one row per flush (point-log.ts).
  CREATE TABLE IF NOT EXISTS point_log (gen INTEGER PRIMARY KEY, points BLOB NOT NULL);
`;

/**
 * Opens (creating on first start) `<dataDir>/livedash.db` in WAL mode. Every open failure becomes a
 * StorageError naming the file: a corrupt file, a directory we cannot create, a newer schema.
 */
export function openDatabase(dataDir: string): { db: Database.Database; file: string } {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") throw diskFullError(dataDir, error);
    throw new StorageError(`cannot create data directory ${dataDir} (LIVEDASH_DATA_DIR): ${(error as Error).message}`, { cause: error });
  }
  const file = join(dataDir, DATA_FILE);
  checkFile(file);
  let db: Database.Database | undefined;
  try {
    // No busy wait: the only other holder of this file is another server, which never lets go.
    db = new Database(file, { timeout: 0 });
    lockExclusively(db, dataDir);
    // WAL: readers never block the once-a-second writer, and a crash leaves a consistent file.
    // synchronous=NORMAL: a commit is not fsynced (a killed process loses nothing committed; a power
    // loss may lose what was committed since the last checkpoint, which we run every few seconds).
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    // The store checkpoints every checkpointIntervalMs (10 s) itself. SQLite's own automatic checkpoint
    // (default: after any commit that leaves more than 1000 pages, 4 MiB, in the WAL) ran inside nearly
    // every flush under heavy ingest (tens of MiB a second): the WAL copied into the file and both
    // fsynced, once a second, on the event loop. Past WAL_AUTOCHECKPOINT_PAGES it still checkpoints by
    // itself, so the WAL stays bounded; journal_size_limit truncates a WAL that grew past it.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_AUTOCHECKPOINT_PAGES * 4096}`);
    db.exec(SCHEMA);
    // Files written before the point log: their head rows hold everything (generation 0).
    const headColumns = db.prepare<[], { name: string }>("PRAGMA table_info(heads)").all();
    if (!headColumns.some((c) => c.name === "gen")) db.exec("ALTER TABLE heads ADD COLUMN gen INTEGER NOT NULL DEFAULT 0");
    const seriesColumns = db.prepare<[], { name: string }>("PRAGMA table_info(series)").all();
    if (!seriesColumns.some((c) => c.name === "expired")) db.exec("ALTER TABLE series ADD COLUMN expired INTEGER NOT NULL DEFAULT 0");
    // When each series last reported (server clock, written at each snapshot); NULL in older files.
    if (!seriesColumns.some((c) => c.name === "seen_ms")) db.exec("ALTER TABLE series ADD COLUMN seen_ms INTEGER");
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get()?.value;
    if (version === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    else if (version !== SCHEMA_VERSION) {
      throw new StorageError(`data file ${file} has schema version ${version}; this server reads version ${SCHEMA_VERSION}. Use a matching server or another LIVEDASH_DATA_DIR.`);
    }
    return { db, file };
  } catch (error) {
    db?.close();
    if (error instanceof StorageError) throw error;
    if (isDiskFull(error) || (isIoError(error) && freeBytes(dataDir) < NEARLY_FULL_BYTES)) throw diskFullError(file, error);
    if (isIoError(error) || (error as { code?: unknown }).code === "SQLITE_CANTOPEN" || (error as { code?: unknown }).code === "SQLITE_READONLY") {
      if (readOnlyFilesystem(dataDir)) {
        throw new StorageError(`data directory ${dataDir} is on a read-only filesystem, so ${file} cannot be written: mount it read-write or set LIVEDASH_DATA_DIR to a writable directory`, { cause: error });
      }
    }
    throw asStorageError(error, file);
  }
}

/** A full disk passes by itself: say so and exit with a code a supervisor restarts on. */
function diskFullError(path: string, error: unknown): StorageError {
  return new StorageError(`disk full: cannot open ${path} (${(error as Error).message}); free disk space, the server starts once it can write (exit code ${EXIT_TEMPORARY}: restart it)`, {
    cause: error,
    exitCode: EXIT_TEMPORARY,
  });
}

function isIoError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_IOERR");
}

function freeBytes(dir: string): number {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function readOnlyFilesystem(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EROFS";
  }
}

/**
 * Two servers on one data directory would hand out the same series and event ids and overwrite each
 * other's chunks. locking_mode=EXCLUSIVE makes SQLite keep its OS-level (fcntl) lock on the file for
 * the life of the connection, taken here by an empty exclusive transaction: a second process, even one
 * that only reads, gets SQLITE_BUSY. The kernel drops the lock when the holder dies (also on kill -9),
 * so no stale lock survives. The pid file only names the holder in the refusal.
 */
function lockExclusively(db: Database.Database, dataDir: string): void {
  db.pragma("locking_mode = EXCLUSIVE");
  try {
    db.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "SQLITE_BUSY") throw error;
    const pid = readPid(dataDir);
    throw new StorageError(
      `data directory ${dataDir} is in use by another livedash server${pid === null ? "" : ` (pid ${pid})`}: stop it, or give this one another LIVEDASH_DATA_DIR`,
      { cause: error },
    );
  }
  try {
    writeFileSync(join(dataDir, PID_FILE), `${process.pid}\n`);
  } catch {
    // Only informational; a failure to write it (disk full) surfaces on the data file itself.
  }
}

function readPid(dataDir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, PID_FILE), "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Removes the pid file at a clean close when it is still ours. */
export function releasePidFile(dataDir: string): void {
  if (readPid(dataDir) === process.pid) rmSync(join(dataDir, PID_FILE), { force: true });
}

/** SQLite's "this file is damaged" codes. */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || (typeof code === "string" && code.startsWith("SQLITE_CORRUPT"));
}

/** Wraps an error met while opening or loading the data file. */
export function asStorageError(error: unknown, file: string): StorageError {
  const message = error instanceof Error ? error.message : String(error);
  if (isCorruption(error)) return new StorageError(`data file ${file} is corrupt (${message}). ${corruptAdvice(file)}`, { cause: error });
  return new StorageError(`cannot open data file ${file}: ${message}`, { cause: error });
}

/** SQLite's "disk or quota full" (also raised at PRAGMA max_page_count). */
export function isDiskFull(error: unknown): boolean {
  return (error as { code?: unknown }).code === "SQLITE_FULL";
}
