import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Real full-disk tests mount a small tmpfs, which needs root (the dev and CI containers run as root). */
export const canMount = process.getuid?.() === 0;

/** An 8 MiB tmpfs (read-only with `ro`): fill() writes it full, free() removes the filler, unmount() in afterAll. */
export function mountTmpfs(ro = false): { dir: string; fill(): void; free(): void; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), "livedash-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", ro ? "ro,size=8m" : "size=8m", "tmpfs", dir]);
  const fillers = () => readdirSync(dir).filter((name) => name.startsWith("filler"));
  return {
    dir,
    fill() {
      // 64 KiB files, then 4 KiB ones for the rest: bounded by the 8 MiB size (at most ~2200 files).
      for (const size of [65_536, 4096]) {
        for (let i = 0; i < 2048; i++) {
          try {
            writeFileSync(join(dir, `filler-${size}-${i}`), Buffer.alloc(size, 1));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
            rmSync(join(dir, `filler-${size}-${i}`), { force: true });
            break;
          }
        }
      }
    },
    free() {
      for (const name of fillers()) rmSync(join(dir, name));
    },
    unmount() {
      execFileSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
