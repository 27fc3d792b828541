import { defineConfig } from "vitest/config";

// The live tests sample the real /proc on timers (waits of up to 5 s): a roomier test timeout, one
// file at a time so 2 shared cores are not oversubscribed.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 30_000, fileParallelism: false } });
