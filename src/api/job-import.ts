/**
 * JobService.BatchCreateJobs and ImportJobs: items converted and checked one
 * by one (a bad item is refused in its result, never the whole call), then
 * created in batches by `JobCommands.createMany`. ImportJobs keeps a few
 * batches in flight while it reads the stream, so that the store, not the
 * stream's pace, sets the rate.
 */

import { codeToString } from "@connectrpc/connect/protocol-connect";
import type {
  CreateJobRequest,
  JobImportCounts,
  JobImportResult,
} from "../../gen/chronoring/v1/job_service_pb.js";
import { JobImportStatus } from "../../gen/chronoring/v1/job_service_pb.js";
import { ChronoringError, invalidArgument } from "../core/errors.js";
import { BATCH_MAX, type BatchItem, type ImportResult } from "../core/job-batch.js";
import type { JobCommands } from "../core/job-commands.js";
import { validateJobInput } from "../core/validate-job.js";
import { jobInputFromProto } from "./codec.js";
import { toConnectError } from "./error-map.js";

/** Batches of one ImportJobs written at the same time. */
export const IMPORT_IN_FLIGHT = 4;
/** REFUSED results an ImportJobs answer lists; the rest are only counted. */
export const IMPORT_REFUSED_MAX = 10_000;

const STATUS: Readonly<Record<ImportResult["status"], JobImportStatus>> = {
  CREATED: JobImportStatus.CREATED,
  EXISTING: JobImportStatus.EXISTING,
  REFUSED: JobImportStatus.REFUSED,
};

/** A refusal's message may open with the field it names (`schedule.calendar.name: ...`). */
const FIELD_PREFIX = /^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*|\[\d+\])*): /;

/** The wire form of one result; a refusal's code as Connect names it (`invalid_argument`). */
export function importResultToProto(result: ImportResult): Omit<JobImportResult, "$typeName"> {
  const out = {
    index: BigInt(result.index),
    status: STATUS[result.status],
    jobId: result.jobId ?? "",
    code: "",
    field: "",
    message: "",
  };
  if (result.error) {
    const wire = toConnectError(result.error, "");
    out.code = codeToString(wire.code);
    out.message = wire.rawMessage;
    out.field = result.error.field ?? FIELD_PREFIX.exec(wire.rawMessage)?.[1] ?? "";
  }
  return out;
}

export function emptyCounts(): Omit<JobImportCounts, "$typeName"> {
  return { created: 0n, existing: 0n, refused: 0n };
}

export function addCounts(counts: Omit<JobImportCounts, "$typeName">, results: ImportResult[]) {
  for (const r of results) {
    if (r.status === "CREATED") counts.created++;
    else if (r.status === "EXISTING") counts.existing++;
    else counts.refused++;
  }
  return counts;
}

/**
 * Creates one batch of requests whose first is item `first`: items that do
 * not convert are refused here, the rest go to core. A batch the store
 * failed as a whole is refused item by item with that error, so that an
 * import goes on and its summary says which items to send again.
 */
export async function createBatch(
  commands: JobCommands,
  tenant: string,
  requests: CreateJobRequest[],
  first: number,
): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  const items: BatchItem[] = [];
  requests.forEach((req, i) => {
    const index = first + i;
    try {
      const input = jobInputFromProto(req);
      validateJobInput(input);
      items.push({ index, input });
    } catch (err) {
      if (!(err instanceof ChronoringError)) throw err;
      results.push({ index, status: "REFUSED", error: err });
    }
  });
  if (items.length > 0) {
    try {
      results.push(...(await commands.createMany(tenant, items)));
    } catch (err) {
      if (!(err instanceof ChronoringError)) throw err;
      for (const { index } of items) results.push({ index, status: "REFUSED", error: err });
    }
  }
  return results.sort((a, b) => a.index - b.index);
}

/** BatchCreateJobs' bound: 1 to BATCH_MAX items. */
export function checkBatchSize(count: number): void {
  if (count === 0) throw invalidArgument("jobs", "at least one job is required");
  if (count > BATCH_MAX) {
    throw invalidArgument(
      "jobs",
      `at most ${BATCH_MAX} jobs per call (got ${count}); split them, or stream them with ImportJobs`,
    );
  }
}

/**
 * Reads a stream of requests, creating them in batches of BATCH_MAX with up
 * to IMPORT_IN_FLIGHT batches at once; `onBatch` gets each batch's results.
 */
export async function importStream(
  commands: JobCommands,
  tenant: string,
  stream: AsyncIterable<{ jobs: CreateJobRequest[] }>,
  onBatch: (results: ImportResult[]) => void,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let buffer: CreateJobRequest[] = [];
  let next = 0;
  const launch = async (requests: CreateJobRequest[]) => {
    const first = next;
    next += requests.length;
    const done = createBatch(commands, tenant, requests, first).then(onBatch);
    const tracked: Promise<void> = done.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= IMPORT_IN_FLIGHT) await Promise.race(inFlight);
  };
  for await (const message of stream) {
    buffer.push(...message.jobs);
    while (buffer.length >= BATCH_MAX) {
      await launch(buffer.slice(0, BATCH_MAX));
      buffer = buffer.slice(BATCH_MAX);
    }
  }
  if (buffer.length > 0) await launch(buffer);
  await Promise.all(inFlight);
}
