import { createHash } from "node:crypto";

/** Default number of logical partitions; fixed when the tables are created. */
export const DEFAULT_PARTITION_COUNT = 256;

/** The logical partition of a job id: a stable hash, independent of cluster size. */
export function partitionOf(jobId: string, partitionCount: number): number {
  const digest = createHash("sha1").update(jobId).digest();
  return digest.readUInt32BE(0) % partitionCount;
}
