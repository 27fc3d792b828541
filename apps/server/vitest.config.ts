import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers and sockets; files run one at a time so 2 cores are not oversubscribed.
    fileParallelism: false,
  },
});
