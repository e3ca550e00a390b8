import { type DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import type { Schedule } from "../../src/core/job.js";
import { nextFire, nextRunAfter } from "../../src/core/schedule/index.js";
import type { Window } from "../harness/schedule.js";

/**
 * Items a scan page reads. The stack goes on firing while the bench reads:
 * DynamoDB Local reads a page under the table's lock, and four segments of
 * 1 MB pages over a million jobs kept the scheduler's claims and the
 * worker's writes out for minutes (calls timed out at 10 s from the first
 * page on; the fire window before it had run). Small pages, one at a time,
 * leave the writes room between them.
 */
const PAGE = 500;

/** A run the stored jobs must fire in the window: `job:scheduledMs` → the job's mix group. */
export type ExpectedRuns = Map<string, string>;

/**
 * Every run the jobs in `table` fire in `window`, by the schedule evaluator
 * (`src/core/schedule`) over each job as stored, jitter included: what the
 * store's executions are checked against. The jobs are read with one scan
 * of their id, schedule and tags in pages of `PAGE` (the mix group is the
 * second tag); the
 * nominal runs of each distinct stored schedule are found once, so only the
 * jobs with a run near the window cost an evaluation of their own.
 */
export async function expectedRuns(
  dynamo: DynamoDBClient,
  table: string,
  window: Window,
): Promise<{ runs: ExpectedRuns; jobs: number }> {
  const runs: ExpectedRuns = new Map();
  const near = new Map<string, boolean>();
  let jobs = 0;
  const visit = (id: string, sched: string, group: string) => {
    jobs++;
    let close = near.get(sched);
    const schedule = JSON.parse(sched) as Schedule;
    if (close === undefined) {
      // A nominal run in (start − jitter, end): only then can a jittered one fall inside.
      const base = nextRunAfter(schedule, window.startMs - 1 - (schedule.jitterMs ?? 0));
      close = base !== undefined && base < window.endMs;
      near.set(sched, close);
    }
    if (!close) return;
    for (
      let at = nextFire(schedule, window.startMs - 1, { jobId: id });
      at !== undefined && at < window.endMs;
      at = nextFire(schedule, at, { jobId: id })
    ) {
      runs.set(`${id}:${at}`, group);
    }
  };
  let key: ScanCommandOutput["LastEvaluatedKey"];
  do {
    const out: ScanCommandOutput = await dynamo.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: "id, sched, tags",
        Limit: PAGE,
        ExclusiveStartKey: key,
      }),
    );
    for (const item of out.Items ?? []) {
      // The table holds other records beside jobs (quota slots, keys): no schedule.
      if (item.sched?.S) visit(item.id!.S!, item.sched.S, item.tags?.L?.[1]?.S ?? "");
    }
    key = out.LastEvaluatedKey;
  } while (key);
  return { runs, jobs };
}
