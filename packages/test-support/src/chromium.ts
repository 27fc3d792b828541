import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext } from "playwright-core";

/** Debian's chromium (apt), never a browser playwright downloads. */
export const CHROMIUM_EXECUTABLE = "/usr/bin/chromium";

/** Headless, no sandbox (root in CI), and nothing that reaches outside the machine. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser for tests that open their own contexts. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, args: [...CHROMIUM_ARGS] });
}

export interface ChromiumContext {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/**
 * A persistent context on a fresh profile directory (removed on close): CDP sessions and service
 * workers behave as in a real browser profile.
 * @param options viewport @default 1280x900; deviceScaleFactor @default 1; ignoreHTTPSErrors (a
 *   test's self-signed certificate, https and wss alike) @default false
 */
export async function launchChromiumContext(
  options: { viewport?: { width: number; height: number }; deviceScaleFactor?: number; ignoreHTTPSErrors?: boolean } = {},
): Promise<ChromiumContext> {
  const profile = await mkdtemp(path.join(tmpdir(), "livedash-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_EXECUTABLE,
    args: [...CHROMIUM_ARGS],
    viewport: options.viewport ?? { width: 1280, height: 900 },
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
