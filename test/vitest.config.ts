import { defineConfig } from "vitest/config";
import { RunFirstSequencer } from "./support/sequencer.js";

const backends = {
  globalSetup: ["test/support/global-setup.ts"],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

/**
 * The e2e files that hold a run's lateness or start to a bound (a start timeout, a lease, a
 * lateness maximum): two at a time, after the others, which assert counts, states and memory
 * with waits far above what the machine's load changes. Alone they took 207 s; two at a time
 * 118 s, with failover beside partitions at a start lateness max of 3.6 s (2.7 s alone; its
 * bound is 20 s). Their every-second jobs are judged from once the last is stored
 * (`createEverySecondJobs`): beside another file, failover's creates once ran into its window.
 */
const E2E_TIMED = [
  "backend-outages",
  "failover",
  "graceful-shutdown",
  "idle-worker",
  "partitions",
  "scheduler-crash",
].map((name) => `test/e2e/${name}.test.ts`);

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    // A long file that is short on disk starts first in its project (support/sequencer.ts).
    sequence: { sequencer: RunFirstSequencer },
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
          // One module graph per worker, not per file: a fresh import of the graph per file cost
          // more CPU than the tests (unit tier alone: 56 s wall, 107 CPU-s isolated; 24 s, 42 CPU-s
          // not). No file mocks modules or timers; the two that set process.env (one a tier) put it back.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/contract/**/*.test.ts"],
          exclude: ["test/contract/memory.test.ts", "**/node_modules/**"],
          // As the unit tier: each file starts and closes its own apps, and a fresh import per file
          // of the app's graph (the AWS SDK, gRPC, Connect) was most of the tier's CPU on a
          // CPU-bound machine (unit and integration: 495 s wall, 821 CPU-s isolated; 362 s, 516 not).
          isolate: false,
          ...backends,
        },
      },
      {
        // Several node processes per file on a 2-core machine: two files at a time, before
        // the timed ones (the groups run one after the other).
        extends: true,
        test: {
          name: "e2e-paired",
          include: ["test/e2e/**/*.test.ts"],
          exclude: [...E2E_TIMED, "**/node_modules/**"],
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          ...backends,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: E2E_TIMED,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
          ...backends,
        },
      },
    ],
  },
});
