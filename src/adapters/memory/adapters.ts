import type { Clock } from "../../core/clock.js";
import { createMemoryAuditStore } from "./audit-store.js";
import { createMemoryBackfillStore } from "./backfill-store.js";
import { createMemoryCalendarStore } from "./calendar-store.js";
import { createMemoryDeadLetterQueue } from "./dead-letter-queue.js";
import { createMemoryExecutionStore } from "./execution-store.js";
import { createMemoryFireStatsStore } from "./fire-stats-store.js";
import { createMemoryJobStore } from "./job-store.js";
import { createMemoryDb } from "./memory-db.js";
import { createMemoryRetryStore } from "./retry-store.js";
import { createMemoryRunLimits } from "./run-limits.js";
import { createMemoryTenantStore } from "./tenant-store.js";
import { createMemoryWorkQueue } from "./work-queue.js";
import { createMemoryWorkflowStore } from "./workflow-store.js";

/**
 * Every store and queue of one process, in its memory (`--store memory`):
 * nothing is durable, nothing is shared with another process.
 */
export function createMemoryAdapters(options: {
  clock: Clock;
  visibilityTimeoutS: number;
  maxReceiveCount: number;
}) {
  const db = createMemoryDb();
  return {
    jobs: createMemoryJobStore(db),
    executions: createMemoryExecutionStore(db),
    limits: createMemoryRunLimits(db),
    calendars: createMemoryCalendarStore(db),
    workflows: createMemoryWorkflowStore(db),
    tenants: createMemoryTenantStore(db),
    queue: createMemoryWorkQueue(options),
    retries: createMemoryRetryStore(db),
    audit: createMemoryAuditStore(),
    fireStats: createMemoryFireStatsStore(db),
    deadLetters: createMemoryDeadLetterQueue(),
    backfills: createMemoryBackfillStore(),
  };
}
