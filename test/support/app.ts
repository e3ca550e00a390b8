import pino from "pino";
import { Registry } from "prom-client";
import { WriteCounter } from "../../src/adapters/dynamodb/write-counter.js";
import { createAdapters } from "../../src/adapters/from-config.js";
import type { Config } from "../../src/config/config.js";
import { testBackends, uniquePrefix } from "./backends.js";
import { TEST_BACKSTOPS } from "./backstops.js";
import { loadTestConfig } from "./host.js";
import { LOOPBACK_TARGETS } from "./targets.js";
import { waitFor } from "./wait.js";

/**
 * A config for one test: its own table and queue prefix on the shared test
 * backends, the API on a free port, few partitions and short intervals.
 * Targets on loopback are admitted (the tests' receivers listen there); pass
 * `{ TARGET_ALLOW: "" }` to test the SSRF protection.
 */
export function testConfig(label: string, settings: Record<string, string> = {}): Config {
  const b = testBackends();
  const prefix = uniquePrefix(label);
  const env: Record<string, string> = {
    CHRONORING_DYNAMODB_ENDPOINT: b.dynamodb,
    CHRONORING_SQS_ENDPOINT: b.sqs,
    CHRONORING_ETCD_ENDPOINTS: b.etcd,
    CHRONORING_ETCD_PREFIX: `/${prefix}/`,
    CHRONORING_SESSION_TTL_MS: "3000",
    CHRONORING_AWS_REGION: b.region,
    CHRONORING_TABLE_PREFIX: prefix,
    CHRONORING_QUEUE_PREFIX: prefix,
    CHRONORING_API_PORT: "0",
    CHRONORING_PARTITIONS: "8",
    CHRONORING_POLL_INTERVAL_MS: "100",
    CHRONORING_LOOKAHEAD_MS: "1000",
    CHRONORING_SWEEP_INTERVAL_MS: "500",
    CHRONORING_POLL_BACKSTOP_MS: TEST_BACKSTOPS.POLL_BACKSTOP_MS,
    CHRONORING_SWEEP_BACKSTOP_MS: TEST_BACKSTOPS.SWEEP_BACKSTOP_MS,
    CHRONORING_START_TIMEOUT_MS: "5000",
    CHRONORING_VISIBILITY_TIMEOUT_S: "10",
    CHRONORING_LOG_LEVEL: process.env.CHRONORING_TEST_LOG_LEVEL ?? "silent",
    CHRONORING_TARGET_ALLOW: LOOPBACK_TARGETS,
    // Tests of other behaviour call without tokens; auth tests turn it on (test/support/auth.ts).
    CHRONORING_AUTH_MODE: "off",
  };
  for (const [k, v] of Object.entries(settings)) env[`CHRONORING_${k}`] = v;
  return loadTestConfig(env);
}

export const silentLogger = pino({ level: process.env.CHRONORING_TEST_LOG_LEVEL ?? "silent" });

/** The adapters of one test config, created and initialised, for tests below the API. */
export async function testStores(config: Config) {
  const writes = new WriteCounter();
  // Fewer retries and a shorter timeout than the app's: a test fails fast.
  const {
    dynamo: client,
    jobs,
    executions,
    queue,
  } = createAdapters(
    { ...config, aws: { ...config.aws, maxAttempts: 3, requestTimeoutMs: 5000 } },
    { writeCounter: writes },
  );
  await jobs.init();
  await queue.init();
  return { client, jobs, executions, queue, writes, registry: new Registry() };
}

/** Waits until the app's scheduler owns every partition (cluster mode: elected and assigned). */
export async function untilOwning(app: { scheduler?: { owned(): unknown[] } }, partitions: number) {
  await waitFor("the scheduler to get its partitions", () =>
    (app.scheduler?.owned().length ?? 0) >= partitions ? true : undefined,
  );
}
