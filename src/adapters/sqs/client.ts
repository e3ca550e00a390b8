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
  /**
   * Told of every request sent (retries included), by command name, with the
   * requests SQS bills for it: one per 64 KB of payload, a batch of up to 10
   * messages being one request.
   */
  onRequest?: (command: string, requests: number) => void;
}

/** SQS bills a request per 64 KB chunk of its payload. */
const BILLED_CHUNK = 64 * 1024;

/** An SQS client whose requests fail after `requestTimeoutMs` instead of hanging. */
export function createSqsClient(options: SqsConnection): SQSClient {
  const client = new SQSClient({
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
  const onRequest = options.onRequest;
  if (onRequest) {
    // After the retry step: every attempt that goes out is a request.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const body = (args.request as { body?: unknown }).body;
        const bytes = typeof body === "string" ? Buffer.byteLength(body) : 0;
        onRequest(context.commandName ?? "unknown", Math.max(1, Math.ceil(bytes / BILLED_CHUNK)));
        return next(args);
      },
      { step: "finalizeRequest", name: "chronoringRequestCounter", priority: "low" },
    );
  }
  return client;
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
