import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { triggerRecoveryDeadline, UNTRIGGERABLE_STATUS } from "../../core/claim-rules.js";
import { systemClock } from "../../core/clock.js";
import { alreadyExists, failedPrecondition, notFound } from "../../core/errors.js";
import { externalKeyTaken } from "../../core/external-key.js";
import type { Job } from "../../core/job.js";
import type { JobQuery, JobStore, Page, SlotChange } from "../../core/ports/job-store.js";
import { type RetrySchedule, retry } from "../../core/retry.js";
import { counterAction, exhausted, slotItem, transactSlots } from "./active-slots.js";
import { createDynamoApplyStore } from "./apply-store.js";
import { dynamo, fromPageToken } from "./calls.js";
import type { TableNames } from "./client.js";
import { holderOf, keyPut } from "./external-key.js";
import { createFailureCount } from "./failure-count.js";
import { createJobOnce, enableIdempotencyTtl } from "./idempotency.js";
import { createJobBatchStore } from "./job-batch.js";
import { createJobClaims } from "./job-claims.js";
import { type Item, itemToJob, jobToItem, n, num, s, str } from "./job-item.js";
import { listJobs } from "./job-list.js";
import { updateJob } from "./job-update.js";
import { fencePartition, highestFenceEpoch, recordSweptTo, sweptTo } from "./partition-fences.js";
import { ensureTables } from "./tables.js";
import { visible } from "./tenant.js";

export interface DynamoJobStoreOptions {
  client: DynamoDBClient;
  tables: TableNames;
  partitionCount: number;
}

/** The job when it carries an external key. */
function withKey(job: Job): (Job & { externalKey: string }) | undefined {
  return job.externalKey === undefined ? undefined : (job as Job & { externalKey: string });
}

/** A manual run's record: eleven tries, no pause (the next read sees the new sequence). */
const CAS_RETRIES: RetrySchedule = { attempts: 11, baseMs: 0, maxMs: 0 };

/**
 * Jobs in DynamoDB: what the API reads and writes here, the due index,
 * claims and the recovery record in `job-claims.ts`.
 */
export function createDynamoJobStore(options: DynamoJobStoreOptions): JobStore {
  const { client, tables } = options;
  const table = tables.jobs;
  const claims = createJobClaims(options);

  async function read(id: string): Promise<Item | undefined> {
    const out = await dynamo(() =>
      client.send(
        new GetItemCommand({ TableName: table, Key: { id: s(id) }, ConsistentRead: true }),
      ),
    );
    return out.Item;
  }

  /** The job's put, holding an active-schedule slot when it takes one. */
  function jobPut(job: Job, slot: Extract<SlotChange, { kind: "take" }> | undefined) {
    return {
      TableName: table,
      Item: { ...jobToItem(job), ...(slot ? slotItem(job.tenant, slot.untilMs) : {}) },
      ConditionExpression: "attribute_not_exists(id)",
    };
  }

  return {
    ...createJobBatchStore(client, tables),
    ...createDynamoApplyStore(client, table),
    ...createFailureCount(client, table),

    async init() {
      await dynamo(() => ensureTables(client, tables, options.partitionCount));
      await claims.init();
      await enableIdempotencyTtl(client, table);
    },

    createJobOnce: (job, record, slot) =>
      createJobOnce(
        client,
        { jobs: table, tenants: tables.tenants },
        { job, record, nowMs: job.createdMs, put: jobPut(job, slot), ...(slot ? { slot } : {}) },
      ),

    async createJob(job, slot) {
      const keyed = withKey(job);
      if (slot || keyed) {
        // The job, its key's record, the tenant's counter: all or nothing.
        const actions: TransactWriteItem[] = [{ Put: jobPut(job, slot) }];
        if (keyed) actions.push(keyPut(table, keyed));
        if (slot) actions.push(counterAction(tables.tenants, job.tenant, slot));
        const reasons = await transactSlots(client, actions);
        if (reasons === undefined) return;
        const failed = (i: number) => reasons[i]?.code === "ConditionalCheckFailed";
        if (failed(0)) throw alreadyExists(`job ${job.id}`);
        if (keyed && failed(1))
          throw externalKeyTaken(keyed.externalKey, holderOf(reasons[1]?.item));
        throw exhausted(job.tenant, reasons[actions.length - 1]?.item, slot?.defaultLimit ?? 0);
      }
      try {
        await dynamo(() => client.send(new PutItemCommand(jobPut(job, undefined))));
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) throw alreadyExists(`job ${job.id}`);
        throw err;
      }
    },

    async getJob(scope, id) {
      const item = await read(id);
      return visible(item, scope) ? itemToJob(item) : undefined;
    },

    listJobs(tenant: string, query: JobQuery): Promise<Page<Job>> {
      return fromPageToken(query.pageToken, () => listJobs(client, table, tenant, query));
    },

    updateJob: (tenant, id, change, expect, nowMs) =>
      updateJob(client, tables, { tenant, id, change, expect, nowMs }),

    recordManualRun(tenant, id, scheduledMs, recoverAtMs) {
      // Read, then write conditionally on the claim sequence: keeps a pending
      // recovery deadline that is still ahead, replaces a passed one. The
      // tenant never changes, so checking it on the read is enough.
      // Read and written again, at once, while a concurrent claim moves the sequence.
      const once = async () => {
        const item = await read(id);
        if (!visible(item, tenant)) throw notFound(`job ${id}`);
        if (str(item, "st") === UNTRIGGERABLE_STATUS) {
          throw failedPrecondition(`job ${id} is ${UNTRIGGERABLE_STATUS}`);
        }
        // As for a claim, the run is sent now: its own deadline is one start timeout on.
        const recoverAt = triggerRecoveryDeadline({
          pendingMs: num(item, "recover_at"),
          ownMs: recoverAtMs,
          nowMs: scheduledMs,
        });
        const out = await dynamo(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { id: s(id) },
              UpdateExpression: "SET recover_at = :ra ADD claimed_m :t, cseq :one",
              ConditionExpression: "cseq = :cseq AND #st <> :cancelled",
              ExpressionAttributeNames: { "#st": "st" },
              ExpressionAttributeValues: {
                ":ra": n(recoverAt),
                ":t": { NS: [String(scheduledMs)] },
                ":one": n(1),
                ":cseq": n(num(item, "cseq") ?? 0),
                ":cancelled": s(UNTRIGGERABLE_STATUS),
              },
              ReturnValues: "ALL_NEW",
            }),
          ),
        );
        return itemToJob(out.Attributes!);
      };
      return retry(CAS_RETRIES, once, systemClock, {
        retryable: (err) => err instanceof ConditionalCheckFailedException,
      });
    },

    dueJobs: claims.dueJobs,
    claimRuns: claims.claimRuns,
    fencePartition: (fence) => fencePartition(client, options.tables.partitions, fence),
    highestFenceEpoch: () => highestFenceEpoch(client, options.tables.partitions),
    sweptTo: (partition) => sweptTo(client, options.tables.partitions, partition),
    recordSweptTo: (partition, ms) =>
      recordSweptTo(client, options.tables.partitions, partition, ms),
    pendingRuns: claims.pendingRuns,
    settleRuns: claims.settleRuns,
    claimedRuns: claims.claimedRuns,
    recordedClaims: claims.recordedClaims,
  };
}
