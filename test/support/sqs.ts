import type { Config } from "../../src/config/config.js";

/** The SQS emulator of a test config, with local credentials and short retries. */
export function sqsTestConnection(config: Config) {
  return {
    endpoint: config.aws.sqsEndpoint,
    region: config.aws.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
    requestTimeoutMs: 5000,
  };
}
