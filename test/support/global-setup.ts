import type { TestProject } from "vitest/node";
import { startBackends } from "../../deploy/local/backends.js";
import type { BackendEndpoints } from "./backends.js";

declare module "vitest" {
  export interface ProvidedContext {
    backends: BackendEndpoints;
  }
}

/**
 * Starts etcd, DynamoDB Local and the SQS emulator (in memory) once for the whole integration
 * run, and hands their endpoints to the tests (`testBackends()` in test/support/backends.ts).
 * With CHRONORING_TEST_ENDPOINTS set (JSON: {"etcd","dynamodb","sqs","region"}) it starts
 * nothing and uses those instead, e.g. a stack from `deploy/local/backends-cli.ts`.
 * CHRONORING_BACKENDS_VERBOSE=1 prints when each one is ready and where its log is.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.CHRONORING_TEST_ENDPOINTS;
  if (given) {
    project.provide("backends", parseEndpoints(given));
    return async () => {};
  }
  const verbose = process.env.CHRONORING_BACKENDS_VERBOSE === "1";
  const backends = await startBackends({
    log: verbose ? (line) => console.error(`[backends] ${line}`) : undefined,
  });
  const { etcd, dynamodb, sqs, region } = backends;
  project.provide("backends", { etcd, dynamodb, sqs, region });
  return () => backends.stop();
}

function parseEndpoints(json: string): BackendEndpoints {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`CHRONORING_TEST_ENDPOINTS is not JSON: ${(error as Error).message}`);
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const out: Partial<BackendEndpoints> = {};
  for (const key of ["etcd", "dynamodb", "sqs", "region"] as const) {
    const field = record[key];
    if (typeof field !== "string" || field === "") {
      throw new Error(`CHRONORING_TEST_ENDPOINTS.${key} must be a non-empty string`);
    }
    out[key] = field;
  }
  return out as BackendEndpoints;
}
