/**
 * A claim is one conditional UpdateItem. When DynamoDB applied it but its
 * answer was lost (a stalled store: the SDK's request timed out, then the
 * store worked through the abandoned request), the SDK's retry is refused by
 * the write the first attempt made. That refusal is the claimer's own claim,
 * not a lost race: reported lost, its runs waited for the recovery sweep
 * (start-timeout-ms later). The lost answer is injected with SDK middleware
 * on DynamoDB Local.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import type { DueJob } from "../../../src/core/ports/job-store.js";
import { testConfig, testStores } from "../../support/app.js";
import { makeJob } from "../../support/jobs.js";

/**
 * Lets the next UpdateItem of `table` through, then fails it as a lost answer
 * would (a 500 after the write): inside the SDK's retry loop, so the SDK
 * sends it again.
 */
function loseNextUpdateAnswer(client: DynamoDBClient, table: string) {
  const armed = { on: false, lost: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string };
      const out = await next(args);
      if (armed.on && context.commandName === "UpdateItemCommand" && input.TableName === table) {
        armed.on = false;
        armed.lost++;
        throw Object.assign(new Error("injected: answer lost"), {
          name: "InternalServerError",
          $fault: "server",
          $metadata: { httpStatusCode: 500 },
        });
      }
      return out;
    },
    { step: "deserialize", name: "loseNextUpdateAnswer" },
  );
  return armed;
}

describe("a claim whose answer is lost", () => {
  it("is the claimer's when the SDK's retry finds its own write: won, not lost", async () => {
    const config = testConfig("claim-lost-answer");
    const stores = await testStores(config);
    const job = makeJob(8, { nextRunMs: Date.now() + 60_000 });
    await stores.jobs.createJob(job);
    const due = (await stores.jobs.dueJobs(job.partition, job.nextRunMs!, 100)).find(
      (d) => d.id === job.id,
    ) as DueJob;
    const claim = { job: due, nextRunMs: job.nextRunMs! + 60_000, recoverAtMs: Date.now() };
    const lost = loseNextUpdateAnswer(stores.client, `${config.store.tablePrefix}jobs`);
    lost.on = true;
    expect(await stores.jobs.claimRuns([claim])).toEqual([true]);
    expect(lost.lost).toBe(1);
    // The same claim made again (a stale read, another claimer) still loses.
    expect(await stores.jobs.claimRuns([claim])).toEqual([false]);
    const page = await stores.jobs.pendingRuns(job.partition, 0, Date.now() + 1_000, 100);
    expect(page.items.find((p) => p.jobId === job.id)?.scheduled).toEqual([job.nextRunMs]);
    stores.client.destroy();
  });
});
