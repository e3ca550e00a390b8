import type { TestProject } from "vitest/node";
import { startBackends } from "../../deploy/local/backends.js";
import type { BackendEndpoints } from "./backends.js";

declare module "vitest" {
  export interface ProvidedContext {
    backends: BackendEndpoints;
  }
}

/**
 * Starts etcd, DynamoDB Local and the SQS emulator (in memory) once per tier of the run, and
 * hands their endpoints to the tests (`testBackends()` in test/support/backends.ts). The e2e
 * tier's two projects (e2e-paired, e2e: test/vitest.config.ts) share one set; the integration
 * tier has its own, so that the e2e files meet a DynamoDB Local without the integration
 * tier's tables. With CHRONORING_TEST_ENDPOINTS set (JSON: {"etcd","dynamodb","sqs","region"})
 * it starts nothing and uses those instead, e.g. a stack from `deploy/local/backends-cli.ts`.
 * CHRONORING_BACKENDS_VERBOSE=1 prints when each one is ready and where its log is.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.CHRONORING_TEST_ENDPOINTS;
  if (given) {
    project.provide("backends", parseEndpoints(given));
    return async () => {};
  }
  const tier = project.name.split("-")[0]!;
  let set = sets.get(tier);
  if (!set) {
    const verbose = process.env.CHRONORING_BACKENDS_VERBOSE === "1";
    set = {
      started: startBackends({
        log: verbose ? (line) => console.error(`[backends] ${line}`) : undefined,
      }),
      users: 0,
    };
    sets.set(tier, set);
  }
  set.users++;
  const { etcd, dynamodb, sqs, region } = await set.started;
  project.provide("backends", { etcd, dynamodb, sqs, region });
  const shared = set;
  return async () => {
    if (--shared.users > 0) return;
    sets.delete(tier);
    await (await shared.started).stop();
  };
}

/**
 * The sets started, by tier (the project name up to its first "-"). Global setup runs in the
 * main vitest process, where every project's copy of this module sees the same globalThis.
 */
const registry = globalThis as { chronoringTestBackends?: Map<string, SharedSet> };
registry.chronoringTestBackends ??= new Map();
const sets = registry.chronoringTestBackends;

interface SharedSet {
  started: ReturnType<typeof startBackends>;
  users: number;
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
