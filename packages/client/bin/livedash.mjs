#!/usr/bin/env node
// The `livedash` CLI. Runs the bundle from `npm run build -w @livedash/client` when present,
// else the TypeScript source through tsx (development checkout).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/livedash.mjs", import.meta.url);
if (existsSync(fileURLToPath(bundle))) {
  await import(bundle.href);
} else {
  try {
    const { register } = await import("tsx/esm/api");
    register();
  } catch {
    process.stderr.write("livedash: no build found; run `npm run build -w @livedash/client` first\n");
    process.exit(1);
  }
  await import(new URL("../src/cli/bin.ts", import.meta.url).href);
}
