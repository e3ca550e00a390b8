import { defineConfig } from "vitest/config";

const backends = {
  globalSetup: ["test/support/global-setup.ts"],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    projects: [
      {
        extends: true,
        // The memory adapters' contract suites need no backend: they run with the unit tests.
        // A pure test may still wait for the CPU behind the backends of the integration
        // files running beside it: 20 s, not vitest's 5 s, before it counts as stuck.
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/contract/memory.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/contract/**/*.test.ts"],
          exclude: ["test/contract/memory.test.ts", "**/node_modules/**"],
          ...backends,
        },
      },
      {
        // Several node processes per file on a 2-core machine: one file at a time.
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          fileParallelism: false,
          ...backends,
        },
      },
    ],
  },
});
