import { randomBytes } from "node:crypto";
import { inject } from "vitest";

/** Where the integration tests find the three backends. */
export interface BackendEndpoints {
  /** http://127.0.0.1:PORT */
  etcd: string;
  dynamodb: string;
  sqs: string;
  region: string;
}

/**
 * The dummy credentials of every local client. DynamoDB Local runs with -sharedDb, so any
 * would do there, but using these everywhere keeps it working if that ever changes.
 */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

/** The endpoints started (or given) by test/support/global-setup.ts. */
export function testBackends(): BackendEndpoints {
  const backends = inject("backends");
  if (!backends) {
    throw new Error("no backends: run with --project integration (test/support/global-setup.ts)");
  }
  return backends;
}

/**
 * A prefix unique to one test, e.g. `tk3x9q2-job-store-`, for DynamoDB table and SQS queue
 * names so that tests can run in parallel against the same servers. Only [A-Za-z0-9_-], at
 * most 32 characters, leaving room under SQS's 80-character limit (".fifo" included).
 */
export function uniquePrefix(label: string): string {
  const clean = label
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 23);
  const random = randomBytes(6).toString("base64url").replace(/[-_]/g, "x").slice(0, 6);
  return clean ? `t${random}-${clean}-` : `t${random}-`;
}
