/**
 * Claimed runs that the recovery sweeps found not started a start timeout
 * after their time: the age of the oldest is what stands in for SQS's
 * ApproximateAgeOfOldestMessage (a CloudWatch metric, which SQS does not
 * answer to a client). It covers runs waiting in a queue nobody drains as
 * well as runs whose message was lost, which a queue metric cannot see.
 *
 * A sweep reads only the jobs whose recovery deadline passed since its last
 * pass, so a run it does not read now stays remembered until a sweep sees it
 * started, or until it would certainly have been read again
 * (`forgetAfterMs` after it was last seen: its job was deleted meanwhile,
 * or its partition moved to another node).
 */
export interface OverdueRuns {
  /** A sweep of `partition` found run `key` (scheduled at `scheduledMs`) not started past its start timeout. */
  overdue(partition: number, key: string, scheduledMs: number, nowMs: number): void;
  /** A sweep found run `key` started. */
  started(partition: number, key: string): void;
  /** This node no longer sweeps `partition`. */
  forget(partition: number): void;
  /** The scheduled time of the oldest run remembered at `nowMs`, or undefined. */
  oldestMs(nowMs: number): number | undefined;
}

export function createOverdueRuns(options: { forgetAfterMs: number }): OverdueRuns {
  const byPartition = new Map<number, Map<string, { scheduledMs: number; seenMs: number }>>();
  return {
    overdue(partition, key, scheduledMs, nowMs) {
      const runs = byPartition.get(partition) ?? new Map();
      runs.set(key, { scheduledMs, seenMs: nowMs });
      byPartition.set(partition, runs);
    },
    started(partition, key) {
      byPartition.get(partition)?.delete(key);
    },
    forget(partition) {
      byPartition.delete(partition);
    },
    oldestMs(nowMs) {
      let oldest: number | undefined;
      for (const [partition, runs] of byPartition) {
        for (const [key, run] of runs) {
          if (nowMs - run.seenMs > options.forgetAfterMs) runs.delete(key);
          else if (oldest === undefined || run.scheduledMs < oldest) oldest = run.scheduledMs;
        }
        if (runs.size === 0) byPartition.delete(partition);
      }
      return oldest;
    },
  };
}
