import { setTimeout as sleep } from "node:timers/promises";
import { createDynamoBackfillStore } from "../../src/adapters/dynamodb/backfill-store.js";
import { createEtcdCoordinator } from "../../src/adapters/etcd/coordinator.js";
import { testConfig, testStores } from "../support/app.js";
import { testBackends, uniquePrefix } from "../support/backends.js";
import { applyStoreContract } from "./apply-store.contract.js";
import { backfillStoreContract } from "./backfill-store.contract.js";
import { coordinatorContract } from "./coordinator.contract.js";
import { executionStoreContract } from "./execution-store.contract.js";
import { failurePolicyContract } from "./failure-policy.contract.js";
import { jobStoreContract } from "./job-store.contract.js";
import { jobStoreHighContract } from "./job-store-high.contract.js";
import { recordReplaceContract } from "./record-replace.contract.js";
import { stopVoidsContract } from "./stop-voids.contract.js";
import { workQueueContract } from "./work-queue.contract.js";

/** The production adapters on the real servers: DynamoDB Local, the SQS emulator, etcd. */

async function stores(label: string, visibilityTimeoutS?: number) {
  const config = testConfig(label);
  // Below the setting's floor of 5 s, so that redelivery takes a second.
  if (visibilityTimeoutS) config.queue = { ...config.queue, visibilityTimeoutS };
  return { ...(await testStores(config)), partitions: config.store.partitions };
}

jobStoreContract("DynamoDB", (label) => stores(label));
jobStoreHighContract("DynamoDB", (label) => stores(label));
recordReplaceContract("DynamoDB", (label) => stores(label));
applyStoreContract("DynamoDB", (label) => stores(label));
executionStoreContract("DynamoDB", (label) => stores(label));
stopVoidsContract("DynamoDB", (label) => stores(label));
failurePolicyContract("DynamoDB", (label) => stores(label));
backfillStoreContract("DynamoDB", async (label) => {
  const config = testConfig(label);
  const { client } = await testStores(config);
  const store = createDynamoBackfillStore({
    client,
    table: `${config.store.tablePrefix}backfills`,
  });
  await store.init();
  return store;
});
workQueueContract("SQS", async (label) => {
  const { queue } = await stores(label, 1);
  return { queue, wait: (ms) => sleep(ms) };
});
coordinatorContract("etcd", async (label) => {
  const prefix = `/${uniquePrefix(label)}/`;
  const open = () => createEtcdCoordinator({ endpoints: [testBackends().etcd], prefix });
  return { coordinator: open(), peer: open };
});
