/**
 * `ctx.checkpoint` for a handler: saves progress on the RUNNING execution
 * record, conditional on this worker still holding it, so that a re-queued
 * attempt (the store copies the attribute forward) resumes from it.
 */

import type { ExecutionStore } from "../core/ports/execution-store.js";

/** Kept small: it lives in the execution item (≤ 400 KB) and rides in requests. */
export const CHECKPOINT_MAX_BYTES = 32 * 1024;

export function checkpointFor(
  executions: ExecutionStore,
  executionId: string,
  workerId: string,
): (data: Uint8Array | string) => Promise<void> {
  return async (data) => {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (bytes.length > CHECKPOINT_MAX_BYTES) {
      throw new RangeError(`checkpoint is ${bytes.length} bytes, at most ${CHECKPOINT_MAX_BYTES}`);
    }
    if (!(await executions.saveCheckpoint(executionId, workerId, bytes))) {
      throw new Error(`execution ${executionId} is no longer held by worker ${workerId}`);
    }
  };
}
