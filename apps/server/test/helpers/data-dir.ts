import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRetention } from "../../src/store/disk/retention";
import type { RetentionTier } from "../../src/store/disk/retention";

/** A fresh data directory under the OS temp dir (never inside the repository); remove() deletes it. */
export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "livedash-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** LIVEDASH_RETENTION text parsed into tiers, throwing on a bad one (tests write it by hand). */
export function tiers(text: string): RetentionTier[] {
  const parsed = parseRetention(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.tiers;
}
