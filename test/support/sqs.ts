import type { Config } from "../../src/config/config.js";
import { localCredentials } from "./backends.js";

/** The SQS emulator of a test config, with local credentials and short retries. */
export function sqsTestConnection(config: Config) {
  return {
    endpoint: config.aws.sqsEndpoint,
    region: config.aws.region,
    credentials: localCredentials,
    maxAttempts: 2,
    requestTimeoutMs: 5000,
  };
}
