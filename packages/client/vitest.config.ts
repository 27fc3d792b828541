import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Real servers, child processes and sockets: one file at a time so 2 cores are not oversubscribed.
    fileParallelism: false,
  },
});
