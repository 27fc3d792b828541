import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/*.test-d.ts are compile-time contracts: tsc checks them and a type error fails the run.
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Real servers, child processes and sockets: one file at a time so 2 cores are not oversubscribed.
    fileParallelism: false,
  },
});
