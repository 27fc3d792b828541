import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Metafile } from "esbuild";
import { launchChromium } from "@livedash/test-support";

const clientRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Bundles the client for browsers the way an app bundler would (platform "browser", no Node
 * built-ins), exposing it as `window.Livedash`. Returns the code and esbuild's metafile so a test
 * can prove what went into it.
 */
export async function bundleForBrowser(): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    stdin: {
      contents: `import * as Livedash from "./src/index.ts"; window.Livedash = Livedash;`,
      resolveDir: clientRoot,
      loader: "ts",
    },
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return { code: file.text, metafile: result.metafile };
}

/** Serves one page that loads the bundle, on its own loopback origin (the dashboard's stand-in). */
export async function servePage(code: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === "/bundle.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(code);
      return;
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><meta charset="utf-8"><title>livedash client</title><script type="module" src="/bundle.js"></script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { launchChromium };
