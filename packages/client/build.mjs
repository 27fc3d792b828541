// Bundles the CLI into dist/livedash.mjs so `livedash` starts without a TypeScript loader, and the
// agent alone into dist/livedash-agent.mjs: one self-contained file (no node_modules) to copy onto a
// machine that only runs the agent (docs/deployment.md, step 3).
// Library consumers import the TypeScript source through package.json "exports" (no build step).
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  banner: { js: "import { createRequire as __livedashCreateRequire } from 'node:module'; const require = __livedashCreateRequire(import.meta.url);" },
  logLevel: "info",
};

await build({
  ...common,
  entryPoints: ["src/cli/bin.ts"],
  outfile: "dist/livedash.mjs",
  // Native-addon-capable and CJS-heavy packages stay external and resolve from node_modules.
  external: ["ws", "eventsource"],
});

await build({ ...common, entryPoints: ["src/cli/agent/bin.ts"], outfile: "dist/livedash-agent.mjs" });
