/*
 * Backfill item layout in `<prefix>backfills` (key `id`): tenant, job_id,
 * created, updated, ended, st, mode, ord, from, to, maxc, nominals, cursor,
 * sched (the schedule walked, JSON), flight (the runs out, JSON), counts
 * (JSON), by, cby (who cancelled), err, ver (the version every write is
 * conditional on), and `act` = 1 while the driver has work on it (the key of
 * the sparse `active` index, gone once it ends).
 */

import type {
  Backfill,
  BackfillCounts,
  BackfillMode,
  BackfillOrder,
  BackfillState,
  InFlightRun,
} from "../../core/backfill/types.js";
import { isActive } from "../../core/backfill/types.js";
import type { Schedule } from "../../core/job.js";
import { type Item, n, num, s, str } from "./job-item.js";

/** GSI of a job's backfills, newest first: hash `job_id`, range `created`. Keys only. */
export const BY_JOB_INDEX = "by_job";
/** Sparse GSI of the backfills the driver advances: hash `act` (always 1), range `created`. Keys only. */
export const ACTIVE_INDEX = "active";

export function backfillToItem(b: Backfill): Item {
  const item: Item = {
    id: s(b.id),
    tenant: s(b.tenant),
    job_id: s(b.jobId),
    created: n(b.createdMs),
    updated: n(b.updatedMs),
    st: s(b.state),
    mode: s(b.mode),
    ord: s(b.order),
    from: n(b.fromMs),
    to: n(b.toMs),
    maxc: n(b.maxConcurrent),
    nominals: n(b.nominalTotal),
    cursor: n(b.cursorMs),
    sched: s(JSON.stringify(b.schedule)),
    flight: s(JSON.stringify(b.inFlight)),
    counts: s(JSON.stringify(b.counts)),
    by: s(b.createdBy),
    ver: n(b.version),
  };
  if (b.endedMs !== undefined) item.ended = n(b.endedMs);
  if (b.cancelledBy !== undefined) item.cby = s(b.cancelledBy);
  if (b.error !== undefined) item.err = s(b.error);
  if (isActive(b)) item.act = n(1);
  return item;
}

export function itemToBackfill(item: Item): Backfill {
  const b: Backfill = {
    id: str(item, "id")!,
    tenant: str(item, "tenant")!,
    jobId: str(item, "job_id")!,
    mode: str(item, "mode") as BackfillMode,
    order: str(item, "ord") as BackfillOrder,
    fromMs: num(item, "from")!,
    toMs: num(item, "to")!,
    maxConcurrent: num(item, "maxc")!,
    state: str(item, "st") as BackfillState,
    schedule: JSON.parse(str(item, "sched")!) as Schedule,
    nominalTotal: num(item, "nominals") ?? 0,
    cursorMs: num(item, "cursor")!,
    inFlight: JSON.parse(str(item, "flight") ?? "[]") as InFlightRun[],
    counts: JSON.parse(str(item, "counts")!) as BackfillCounts,
    createdMs: num(item, "created")!,
    updatedMs: num(item, "updated")!,
    createdBy: str(item, "by") ?? "",
    version: num(item, "ver")!,
  };
  const ended = num(item, "ended");
  if (ended !== undefined) b.endedMs = ended;
  const cby = str(item, "cby");
  if (cby !== undefined) b.cancelledBy = cby;
  const err = str(item, "err");
  if (err !== undefined) b.error = err;
  return b;
}
