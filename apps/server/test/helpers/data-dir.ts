import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRetention } from "../../src/store/disk/retention";
import type { RetentionTier } from "../../src/store/disk/retention";

/** A fresh data directory under the OS temp dir (never inside the repository); remove() deletes it. */
export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "livedash-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A copy of a data directory's files as they are on disk now: what a kill -9 leaves. A running store
 * holds an exclusive lock on its file, so a second connection reads the copy, never the original.
 */
export function copyDataDir(from: string): { dir: string; remove(): void } {
  const copy = tempDataDir();
  for (const name of ["livedash.db", "livedash.db-wal"]) {
    if (existsSync(join(from, name))) copyFileSync(join(from, name), join(copy.dir, name));
  }
  return copy;
}

/** LIVEDASH_RETENTION text parsed into tiers, throwing on a bad one (tests write it by hand). */
export function tiers(text: string): RetentionTier[] {
  const parsed = parseRetention(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.tiers;
}
