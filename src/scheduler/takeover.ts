import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { plannedStart, type UntenantedRun } from "../core/execution.js";
import type { JobStore } from "../core/ports/job-store.js";
import type { WorkQueue } from "../core/ports/work-queue.js";
import { withJobFields } from "../core/with-job-fields.js";
import type { Dispatcher } from "./dispatcher.js";
import type { SchedulerMetrics } from "./metrics.js";

/**
 * The hedge of a partition taken over from a node that left (killed, cut off,
 * or stopped: a stopping node drops the runs it held for later). That node
 * held its claimed runs in memory until their time, so those still ahead of
 * it when it left were never sent; left to the recovery sweep they would
 * start a start timeout late. The new owner sends at once every recorded run
 * whose time has come and that no worker started, and holds the later ones
 * until their time, as their claimer would have. A run with a flexible
 * window keeps the start its claim planned (recorded with the claim): the
 * takeover holds it until then, or sends it at once when that has passed.
 *
 * It cannot start a run twice: it sends attempt 1 of the run, whose execution
 * id (`<job>:<scheduled ms>:1`) is the one the old owner would have sent, and
 * a worker starts an execution only by a write conditional on that id not
 * being started (see ExecutionStore). Two messages for one run make one start
 * and one refused start. It writes nothing to the job, so it cannot race a
 * claim or the sweep's settles either.
 *
 * The queue-backlog check of the sweep still has its say: while runs wait in
 * the queue, a run due while the old owner was alive was most likely sent
 * and is among them, so only runs due within `lostOwnerMs` (about the time
 * the old owner's loss took to be seen and its partitions reassigned) are
 * sent again; the sweep covers the older ones at their deadline, as before.
 */
export function createTakeoverHedge(deps: {
  jobs: Pick<JobStore, "getJob">;
  queue: Pick<WorkQueue, "send" | "depth">;
  dispatcher: Dispatcher;
  clock: Clock;
  metrics: SchedulerMetrics;
  logger: Logger;
  /** How far back a run may be due and still surely unsent by the old owner. */
  lostOwnerMs: number;
}) {
  const { jobs, queue, dispatcher, clock, metrics, logger } = deps;
  return {
    async hedge(partition: number, unstarted: UntenantedRun[]): Promise<void> {
      if (unstarted.length === 0) return;
      const now = clock.now();
      // A run with a flexible window is due at the start its claim planned.
      let due = unstarted.filter((r) => plannedStart(r) <= now);
      const later = unstarted.filter((r) => plannedStart(r) > now);
      if (due.length > 0) {
        const backlog = await queue.depth().then(
          (d) => d.visible > 0,
          () => false,
        );
        if (backlog) due = due.filter((r) => plannedStart(r) > now - deps.lostOwnerMs);
      }
      if (due.length > 0) {
        await queue.send(await withJobFields(due, jobs));
        metrics.takeover.inc({ action: "sent" }, due.length);
      }
      if (later.length > 0) {
        dispatcher.hold(await withJobFields(later, jobs));
        metrics.takeover.inc({ action: "held" }, later.length);
      }
      logger.info(
        { partition, sent: due.length, held: later.length },
        "partition taken over from a node that left: its claimed runs sent again",
      );
    },
  };
}

export type TakeoverHedge = ReturnType<typeof createTakeoverHedge>;
