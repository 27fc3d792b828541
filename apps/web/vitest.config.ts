import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts", "lib/**/*.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    // One browser, one server and one Next at a time: this machine has two cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
