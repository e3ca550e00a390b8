/**
 * A test config's store settings as a process environment, for running the
 * `chronoring` commands that talk to the backends directly (backup,
 * restore) with `cli` (cli.ts).
 */
import type { Config } from "../../src/config/config.js";

/** The CHRONORING_* store settings of `config`, as a process's environment. */
export function storeEnv(config: Config): Record<string, string> {
  return {
    CHRONORING_DYNAMODB_ENDPOINT: config.aws.dynamodbEndpoint,
    CHRONORING_SQS_ENDPOINT: config.aws.sqsEndpoint,
    CHRONORING_AWS_REGION: config.aws.region,
    CHRONORING_TABLE_PREFIX: config.store.tablePrefix,
    CHRONORING_QUEUE_PREFIX: config.queue.prefix,
    CHRONORING_PARTITIONS: String(config.store.partitions),
    CHRONORING_LOG_LEVEL: "silent",
  };
}
