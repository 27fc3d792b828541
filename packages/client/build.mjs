// Bundles the CLI into dist/livedash.mjs so `livedash` starts without a TypeScript loader.
// Library consumers import the TypeScript source through package.json "exports" (no build step).
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/livedash.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Native-addon-capable and CJS-heavy packages stay external and resolve from node_modules.
  external: ["ws", "eventsource"],
  banner: { js: "import { createRequire as __livedashCreateRequire } from 'node:module'; const require = __livedashCreateRequire(import.meta.url);" },
  logLevel: "info",
});
