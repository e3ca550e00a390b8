import type { TestProject } from "vitest/node";
import { startBackends } from "../../deploy/local/backends.js";
import type { BackendEndpoints } from "./backends.js";
import { buildCliBundle } from "./cli-bundle.js";

declare module "vitest" {
  export interface ProvidedContext {
    backends: BackendEndpoints;
    /** The CLI bundled from the sources at the run's start (test/support/cli-bundle.ts). */
    cliEntry: string;
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
 * It also bundles the CLI once per run, for test/support/cli.ts (test/support/cli-bundle.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = await sharedCli();
  project.provide("cliEntry", cli.entry);
  const given = process.env.CHRONORING_TEST_ENDPOINTS;
  if (given) {
    project.provide("backends", parseEndpoints(given));
    return async () => cli.release();
  }
  const tier = project.name.split("-")[0]!;
  let set = sets.get(tier);
  if (!set) {
    const verbose = process.env.CHRONORING_BACKENDS_VERBOSE === "1";
    set = {
      started: startBackends({
        // The integration tier's JVM tuned for a run of minutes (deploy/local/dynamodb-local.ts);
        // the e2e tier's keeps its full speed, which bench scale's short version plans on.
        shortLived: tier === "integration",
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
    cli.release();
    if (--shared.users > 0) return;
    sets.delete(tier);
    await (await shared.started).stop();
  };
}

/**
 * The sets started, by tier (the project name up to its first "-"). Global setup runs in the
 * main vitest process, where every project's copy of this module sees the same globalThis.
 */
const registry = globalThis as {
  chronoringTestBackends?: Map<string, SharedSet>;
  chronoringTestCli?: { built: ReturnType<typeof buildCliBundle>; users: number };
};
registry.chronoringTestBackends ??= new Map();
const sets = registry.chronoringTestBackends;

/** One CLI bundle for the whole run, removed when the last project using it ends. */
async function sharedCli(): Promise<{ entry: string; release: () => void }> {
  registry.chronoringTestCli ??= { built: buildCliBundle(), users: 0 };
  const shared = registry.chronoringTestCli;
  shared.users++;
  const { entry, remove } = await shared.built;
  let released = false;
  return {
    entry,
    release: () => {
      if (released) return;
      released = true;
      if (--shared.users > 0) return;
      registry.chronoringTestCli = undefined;
      remove();
    },
  };
}

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
