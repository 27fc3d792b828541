import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

// The repo root, so Turbopack and output tracing see the workspace packages (they ship TS source).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  transpilePackages: ["@livedash/client", "@livedash/events"],
};

export default config;
