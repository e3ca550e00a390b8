/**
 * Claims of many partitions at once in DynamoDB Local: each is one plain
 * conditional UpdateItem (no transaction), fenced on the job item, and a
 * stale owner's refusal fails only its own partition's call.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { DEFAULT_TENANT } from "../../../src/core/caller.js";
import { StaleOwnerError } from "../../../src/core/errors.js";
import type { Claim, DueJob, Fence } from "../../../src/core/ports/job-store.js";
import { testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

/** Counts the requests of each command sent through `client`. */
function countRequests(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? "?";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "countRequests" },
  );
  return counts;
}

describe("fenced claims", () => {
  it("claims of many partitions are single UpdateItems; a stale owner fails only its partition", async () => {
    const config = testConfig("fenced-claims", { PARTITIONS: "8" });
    const stores = await testStores(config);
    const now = Date.now();
    const jobs = Array.from({ length: 40 }, (_, i) => makeJob(8, { nextRunMs: now + 60_000 + i }));
    for (const job of jobs) await stores.jobs.createJob(job);
    const fences = new Map<number, Fence>();
    for (let p = 0; p < 8; p++) {
      const fence = { partition: p, epoch: 5, owner: "me" };
      expect(await stores.jobs.fencePartition(fence)).toBe(true);
      fences.set(p, fence);
    }
    const byPartition = new Map<number, Claim[]>();
    for (let p = 0; p < 8; p++) {
      const due = await stores.jobs.dueJobs(p, now + 120_000, 100);
      byPartition.set(
        p,
        due.map((job: DueJob) => ({ job, nextRunMs: undefined, recoverAtMs: now + 90_000 })),
      );
    }
    // Another node took the partition of most jobs at a later epoch and
    // claimed its first job (jobs land on partitions at random).
    const stalePartition = [...byPartition].reduce((a, b) =>
      b[1].length > a[1].length ? b : a,
    )[0];
    const staleClaims = byPartition.get(stalePartition)!;
    expect(staleClaims.length).toBeGreaterThan(1);
    const other = { partition: stalePartition, epoch: 6, owner: "other" };
    expect(await stores.jobs.fencePartition(other)).toBe(true);
    expect(await stores.jobs.claimRuns([staleClaims[0]!], other)).toEqual([true]);

    const counts = countRequests(stores.client);
    const results = await Promise.allSettled(
      [...byPartition].map(([p, claims]) => stores.jobs.claimRuns(claims, fences.get(p))),
    );
    expect(counts.get("TransactWriteItemsCommand")).toBeUndefined();
    expect(counts.get("UpdateItemCommand")).toBe(jobs.length);
    // The one refusal made the stale partition's call read its fence, once.
    expect(counts.get("GetItemCommand")).toBe(1);

    const stale = results[stalePartition]!;
    expect(stale.status).toBe("rejected");
    const error = (stale as PromiseRejectedResult).reason as StaleOwnerError;
    expect(error).toBeInstanceOf(StaleOwnerError);
    // The jobs the other node had not touched were claimed all the same, once.
    expect(error.won).toEqual(staleClaims.map((_, i) => i > 0));
    for (const [p, result] of results.entries()) {
      if (p === stalePartition) continue;
      expect(result.status, `partition ${p}`).toBe("fulfilled");
      const won = (result as PromiseFulfilledResult<boolean[]>).value;
      expect(won.every(Boolean), `partition ${p}`).toBe(true);
    }
    for (const job of jobs) {
      expect((await stores.jobs.getJob(DEFAULT_TENANT, job.id))?.status, job.id).toBe("FINISHED");
    }
  });
});
