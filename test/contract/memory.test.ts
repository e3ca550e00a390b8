import { createMemoryBackfillStore } from "../../src/adapters/memory/backfill-store.js";
import { createMemoryCoordinator } from "../../src/adapters/memory/coordinator.js";
import { createMemoryExecutionStore } from "../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../../src/adapters/memory/work-queue.js";
import { fakeClock } from "../support/fake-clock.js";
import { applyStoreContract } from "./apply-store.contract.js";
import { backfillStoreContract } from "./backfill-store.contract.js";
import { coordinatorContract } from "./coordinator.contract.js";
import { executionStoreContract } from "./execution-store.contract.js";
import { failurePolicyContract } from "./failure-policy.contract.js";
import { jobStoreContract } from "./job-store.contract.js";
import { jobStoreHighContract } from "./job-store-high.contract.js";
import { recordReplaceContract } from "./record-replace.contract.js";
import { stopVoidsContract } from "./stop-voids.contract.js";
import { workQueueContract } from "./work-queue.contract.js";

/**
 * The in-memory adapters against the same suites. No backend: the unit
 * project runs this file too (test/vitest.config.ts).
 */

function stores() {
  const db = createMemoryDb();
  return {
    jobs: createMemoryJobStore(db),
    executions: createMemoryExecutionStore(db),
    partitions: 8,
  };
}

jobStoreContract("memory", async () => stores());
jobStoreHighContract("memory", async () => stores());
recordReplaceContract("memory", async () => stores());
applyStoreContract("memory", async () => stores());
executionStoreContract("memory", async () => stores());
stopVoidsContract("memory", async () => stores());
failurePolicyContract("memory", async () => stores());
backfillStoreContract("memory", async () => createMemoryBackfillStore());
workQueueContract("memory", async () => {
  const clock = fakeClock(Date.now());
  const queue = createMemoryWorkQueue({ clock, visibilityTimeoutS: 1, maxReceiveCount: 5 });
  return { queue, wait: (ms) => clock.tick(ms) };
});
coordinatorContract("memory", async () => {
  // One process: every node of it shares the one coordinator.
  const coordinator = createMemoryCoordinator({ clock: fakeClock(Date.now()) });
  return { coordinator, peer: () => coordinator };
});
