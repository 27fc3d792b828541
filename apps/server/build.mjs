// Bundles the server (and the workspace packages it imports as TypeScript source) into dist/main.js.
// npm dependencies stay external and load from node_modules at run time.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  plugins: [
    {
      // npm packages stay external; workspace packages (@livedash/*) ship TypeScript source and are bundled.
      name: "externalize-npm-packages",
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@livedash/") ? undefined : { path: args.path, external: true }));
      },
    },
  ],
  logLevel: "warning",
});
