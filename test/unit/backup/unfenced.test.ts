/**
 * A restore drops the claim fence from job items: it is an epoch of the etcd
 * cluster that wrote it, and one above the restored deployment's epochs
 * would keep every owner from claiming the job.
 */
import { describe, expect, it } from "vitest";
import { unfenced } from "../../../src/backup/restore.js";

describe("restore: claim fences", () => {
  it("drops a job item's fence and keeps everything else", () => {
    const job = { id: { S: "j" }, part: { N: "3" }, fence: { N: "57" }, next_run: { N: "1" } };
    expect(unfenced("jobs", job)).toEqual({
      id: { S: "j" },
      part: { N: "3" },
      next_run: { N: "1" },
    });
  });

  it("leaves items of other tables, and jobs never claimed under a fence, as they are", () => {
    const execution = { job_id: { S: "j" }, fence: { N: "1" } };
    expect(unfenced("executions", execution)).toBe(execution);
    const job = { id: { S: "j" } };
    expect(unfenced("jobs", job)).toBe(job);
  });
});
