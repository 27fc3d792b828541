// Declaration files that stand alone: dist/index.d.ts and dist/node.d.ts carry every type the client
// exposes, the AppRouter from @livedash/api and the wire types from @livedash/events inlined, so a
// consumer needs only the client's npm dependencies (@trpc/*, zod), never a workspace package or an app.
//
// Two steps, because the workspace packages ship TypeScript source: tsc first emits declarations for
// the client and the workspace sources it reaches (tsconfig.types.json maps @livedash/* to source), then
// dts-bundle-generator folds them into one file per entry, mapping @livedash/* to those declarations.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const packageDir = path.dirname(fileURLToPath(import.meta.url));
/** Workspace packages whose types are inlined; the bundle must name none of them. */
const INLINED = ["@livedash/api", "@livedash/events"];
const ENTRIES = ["index", "node"];

/**
 * Writes `<outDir>/index.d.ts` and `<outDir>/node.d.ts` and returns their paths. Throws when a bundle
 * still names a workspace package or a path into the repository.
 * @param {string} outDir
 */
export async function buildDeclarations(outDir = path.join(packageDir, "dist")) {
  // Inside the package so the staged files resolve @trpc/* and zod from the workspace's node_modules.
  const stageDir = path.join(packageDir, ".tmp", `types-${process.pid}-${Date.now()}`);
  try {
    execFileSync(process.execPath, [require.resolve("typescript/lib/tsc.js"), "-p", path.join(packageDir, "tsconfig.types.json"), "--outDir", stageDir], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    const paths = Object.fromEntries(INLINED.map((name) => [name, [`./${name.replace("@livedash/", "")}/src/index.d.ts`]]));
    const stageConfig = path.join(stageDir, "tsconfig.json");
    writeFileSync(
      stageConfig,
      JSON.stringify({
        compilerOptions: { target: "ES2022", lib: ["ES2023", "DOM"], module: "ESNext", moduleResolution: "Bundler", strict: true, types: ["node"], noEmit: true, paths },
        files: ENTRIES.map((entry) => `client/src/${entry}.d.ts`),
      }),
    );
    const { generateDtsBundle } = require("dts-bundle-generator");
    const bundles = generateDtsBundle(
      ENTRIES.map((entry) => ({ filePath: path.join(stageDir, "client", "src", `${entry}.d.ts`), output: { noBanner: true } })),
      { preferredConfigPath: stageConfig },
    );
    mkdirSync(outDir, { recursive: true });
    const written = ENTRIES.map((entry, index) => {
      const text = bundles[index];
      const leak = findLeak(text);
      if (leak) throw new Error(`dist/${entry}.d.ts does not stand alone: it names ${leak}`);
      const file = path.join(outDir, `${entry}.d.ts`);
      writeFileSync(file, text);
      return file;
    });
    return written;
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
}

/**
 * The first reference that would not resolve for a consumer of the published client: a workspace
 * package, or a relative or absolute module path (into apps/ or any package's src).
 * @param {string} text
 */
export function findLeak(text) {
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|reference\s+path=)["']([^"']+)["']/g)) {
    const specifier = match[1];
    if (INLINED.some((name) => specifier === name || specifier.startsWith(`${name}/`))) return specifier;
    if (specifier.startsWith(".") || specifier.startsWith("/")) return specifier;
  }
  if (/\bapps\/server\b/.test(text)) return "apps/server";
  return null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildDeclarations();
  for (const file of files) console.log(`wrote ${path.relative(process.cwd(), file)} (${readFileSync(file).length} bytes)`);
}
