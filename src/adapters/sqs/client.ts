import { SQSClient, SQSServiceException } from "@aws-sdk/client-sqs";
import { isChronoringError, unavailable } from "../../core/errors.js";

/** Where and how to reach SQS (or an SQS-compatible emulator). */
export interface SqsConnection {
  /** Custom endpoint (the SQS emulator, LocalStack); absent for AWS. */
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  requestTimeoutMs: number;
}

/** An SQS client whose requests fail after `requestTimeoutMs` instead of hanging. */
export function createSqsClient(options: SqsConnection): SQSClient {
  return new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs,
      // Without this the SDK only warns, and a backend that accepts a
      // connection but never answers hangs the caller.
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(options.requestTimeoutMs, 3000),
    },
  });
}

/**
 * Runs one SQS call: an invalid receipt handle is for the caller to
 * interpret; anything else the SDK could not retry away becomes `unavailable`.
 */
export async function sqs<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isChronoringError(err)) throw err;
    if (err instanceof SQSServiceException && err.name === "ReceiptHandleIsInvalid") throw err;
    throw unavailable("SQS", err);
  }
}
