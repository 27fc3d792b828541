import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One browser, one server and one Next at a time: this machine has two cores.
    fileParallelism: false,
    projects: [
      { test: { name: "unit", include: ["lib/**/*.test.ts"] } },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          // Builds .next when it is missing or older than the sources; the tests run `next start`.
          globalSetup: ["e2e/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
