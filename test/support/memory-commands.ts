import { createMemoryExecutionStore } from "../../src/adapters/memory/execution-store.js";
import { createMemoryJobStore } from "../../src/adapters/memory/job-store.js";
import { createMemoryDb } from "../../src/adapters/memory/memory-db.js";
import { createMemoryWorkQueue } from "../../src/adapters/memory/work-queue.js";
import { createJobCommands, type JobCommands } from "../../src/core/job-commands.js";
import { type FakeClock, fakeClock } from "./fake-clock.js";

/** JobService's commands over in-memory stores, on a fake clock at June 1, 2026. */
export function memoryJobCommands(): { commands: JobCommands; clock: FakeClock } {
  const db = createMemoryDb();
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  const commands = createJobCommands({
    jobs: createMemoryJobStore(db),
    executions: createMemoryExecutionStore(db),
    queue: createMemoryWorkQueue({ clock, visibilityTimeoutS: 30, maxReceiveCount: 5 }),
    clock,
    partitionCount: 8,
    startTimeoutMs: 60_000,
  });
  return { commands, clock };
}

/** An every-`interval` noop job's input. */
export function noopJobInput(interval: string) {
  return {
    name: "n",
    owner: "o",
    tags: [],
    schedule: { interval },
    target: { type: "noop" as const, sleepMs: 0 },
  };
}
