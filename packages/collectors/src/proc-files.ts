import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** True for errors from the file system (ENOENT, EACCES, ...), which mean "this source is absent". */
function isFsError(error: unknown): boolean {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string";
}

/** Text of a /proc or /sys file, or null when it is missing or unreadable (containers, non-Linux). */
export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isFsError(error)) return null;
    throw error;
  }
}

/** Synchronous readText, used once at start to take the first baseline. */
export function readTextSync(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if (isFsError(error)) return null;
    throw error;
  }
}

/**
 * Per-second rate of a cumulative counter over the real elapsed time between two samples, or null
 * when it cannot be trusted: no time passed, or the counter went backwards (reset, wrap, device
 * replaced). Publishing nothing beats publishing a bogus spike.
 */
export function ratePerSecond(previous: number, current: number, elapsedMs: number): number | null {
  if (!(elapsedMs > 0) || current < previous) return null;
  return ((current - previous) * 1000) / elapsedMs;
}
