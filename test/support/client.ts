import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { expect } from "vitest";
import { DeadLetterService } from "../../gen/chronoring/v1/dead_letter_service_pb.js";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import { WorkflowService } from "../../gen/chronoring/v1/workflow_service_pb.js";

/** A generated gRPC client of JobService, as other services use it. */
export function jobClient(baseUrl: string) {
  return createClient(JobService, createGrpcTransport({ baseUrl }));
}

/** A generated gRPC client of DeadLetterService. */
export function deadLetterClient(baseUrl: string) {
  return createClient(DeadLetterService, createGrpcTransport({ baseUrl }));
}

/** A generated gRPC client of WorkflowService. */
export function workflowClient(baseUrl: string) {
  return createClient(WorkflowService, createGrpcTransport({ baseUrl }));
}

/** The error `call` rejects with; fails the test if it resolves or throws something else. */
export async function connectErrorOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** The code and message of a failed call (undefined when it succeeded). */
export async function failure(call: () => Promise<unknown>) {
  try {
    await call();
    return undefined;
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
}
