import { DEFAULT_TENANT } from "./caller.js";
import type { Clock } from "./clock.js";
import { invalidArgument } from "./errors.js";
import { type Execution, executionId, type RunRef } from "./execution.js";
import type { DeadLetterQueue } from "./ports/dead-letter-queue.js";
import type { JobStore, Page } from "./ports/job-store.js";
import type { DeadRunQuery, RetryStore } from "./ports/retry-store.js";
import type { WorkQueue } from "./ports/work-queue.js";
import { validateExecutionId, validateJobId } from "./validate-job.js";
import { withJobFields } from "./with-job-fields.js";

/** Which dead runs an action applies to. */
export type DeadRunSelection = { ids: string[] } | { all: true; jobId?: string };

/** Most ids one request may name. */
export const DEAD_RUN_IDS_MAX = 100;

/**
 * The operations behind DeadLetterService, each on the caller's tenant's dead
 * runs: another tenant's id is not_found, as an unknown one.
 */
export interface DeadRunCommands {
  list(tenant: string, query: DeadRunQuery): Promise<Page<Execution>>;
  /** Runs each selected dead run again as a new attempt; returns them QUEUED. */
  redrive(tenant: string, selection: DeadRunSelection): Promise<Execution[]>;
  /** Takes the selected runs off the dead list; returns how many. */
  purge(tenant: string, selection: DeadRunSelection): Promise<number>;
}

/**
 * Validates a selection: ids (each an execution id, no repeats, at most
 * DEAD_RUN_IDS_MAX) or all. Errors name the request field.
 */
export function validateSelection(selection: DeadRunSelection): void {
  if (!("ids" in selection)) {
    if (selection.jobId !== undefined) validateJobId(selection.jobId, "job_id");
    return;
  }
  if (selection.ids.length === 0) {
    throw invalidArgument("execution_ids", "required: execution ids, or all");
  }
  if (selection.ids.length > DEAD_RUN_IDS_MAX) {
    throw invalidArgument(
      "execution_ids",
      `at most ${DEAD_RUN_IDS_MAX} ids (got ${selection.ids.length})`,
    );
  }
  const seen = new Set<string>();
  selection.ids.forEach((id, i) => {
    validateExecutionId(id, `execution_ids[${i}]`);
    if (seen.has(id)) throw invalidArgument(`execution_ids[${i}]`, `duplicate id "${id}"`);
    seen.add(id);
  });
}

export function createDeadRunCommands(deps: {
  retries: RetryStore;
  queue: WorkQueue;
  deadLetters: DeadLetterQueue;
  clock: Clock;
  /** Read for the priority of each redriven run's queue. */
  jobs: Pick<JobStore, "getJob">;
  /** A redriven attempt not started within this long is sent again by the recovery sweep. */
  startTimeoutMs: number;
}): DeadRunCommands {
  const { retries, queue, deadLetters, clock } = deps;

  /**
   * The ids a selection names. Named ids are all checked first (each must be
   * on the dead list), so that one bad id changes nothing.
   */
  async function* selected(tenant: string, selection: DeadRunSelection): AsyncGenerator<string[]> {
    validateSelection(selection);
    if ("ids" in selection) {
      for (const id of selection.ids) await retries.getDead(tenant, id);
      yield selection.ids;
      return;
    }
    let pageToken: string | undefined;
    do {
      const page = await retries.listDead(tenant, {
        pageSize: 100,
        ...(selection.jobId ? { jobId: selection.jobId } : {}),
        ...(pageToken ? { pageToken } : {}),
      });
      yield page.items.map((e) => e.id);
      pageToken = page.nextToken;
    } while (pageToken);
  }

  return {
    list(tenant, query) {
      if (query.jobId !== undefined) validateJobId(query.jobId, "job_id");
      return retries.listDead(tenant, query);
    },

    async redrive(tenant, selection) {
      const redriven: RunRef[] = [];
      for await (const ids of selected(tenant, selection)) {
        const batch: RunRef[] = [];
        for (const id of ids) {
          batch.push(await retries.redrive(tenant, id, clock.now() + deps.startTimeoutMs));
        }
        // Recorded QUEUED first: a failed send is sent again by the recovery sweep.
        await withJobFields(batch, deps.jobs)
          .then((runs) => queue.send(runs))
          .catch(() => undefined);
        redriven.push(...batch);
      }
      return redriven.map((run) => ({
        ...run,
        id: executionId(run),
        status: "QUEUED" as const,
        queuedMs: clock.now(),
      }));
    },

    async purge(tenant, selection) {
      let purged = 0;
      for await (const ids of selected(tenant, selection)) {
        for (const id of ids) {
          await retries.purge(tenant, id);
          purged++;
        }
      }
      // The dead letter queue (a transport, not the record) is shared by every
      // tenant: only `default`'s purge of all (every run, with auth off) empties
      // it, so another tenant's purge leaves the others' messages alone.
      if ("all" in selection && !selection.jobId && tenant === DEFAULT_TENANT) {
        await deadLetters.purge();
      }
      return purged;
    },
  };
}
