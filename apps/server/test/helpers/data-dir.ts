import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh data directory under the OS temp dir (never inside the repository); remove() deletes it. */
export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "livedash-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
