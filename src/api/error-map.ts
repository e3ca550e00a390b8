/**
 * The one place where errors become Connect codes. A domain error keeps its
 * message (it was written for the client); anything else is an internal
 * error whose details stay in the log, never on the wire.
 */

import { Code, ConnectError } from "@connectrpc/connect";
import { ChronoringError, type ErrorKind } from "../core/errors.js";

export const KIND_TO_CODE: Readonly<Record<ErrorKind, Code>> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/** The message a client sees for an internal error: only the id to find it in the log. */
export function internalMessage(correlationId: string): string {
  return `internal error (correlation id ${correlationId})`;
}

/**
 * Maps any thrown value to the ConnectError sent to the client; the original
 * is kept as `cause` so that the caller can log it.
 *
 * - ChronoringError: its kind's code and its message (an invalid_argument
 *   message starts with the field path).
 * - ConnectError raised by this API layer: as is.
 * - a ConnectError received from another server, or anything else: Internal,
 *   with a message that holds only the correlation id.
 */
export function toConnectError(err: unknown, correlationId: string): ConnectError {
  if (err instanceof ChronoringError) {
    const code = Object.hasOwn(KIND_TO_CODE, err.kind) ? KIND_TO_CODE[err.kind] : undefined;
    if (code !== undefined) {
      let message = err.message;
      if (err.field !== undefined && !message.startsWith(err.field)) {
        message = `${err.field}: ${message}`;
      }
      return new ConnectError(message, code, undefined, undefined, err);
    }
  } else if (err instanceof ConnectError && !err.isWireError) {
    return err;
  }
  return new ConnectError(internalMessage(correlationId), Code.Internal, undefined, undefined, err);
}

/** Whether the error sent was an internal one, whose cause must be logged in full. */
export function isInternal(err: ConnectError): boolean {
  return err.code === Code.Internal || err.code === Code.Unknown || err.code === Code.DataLoss;
}

/**
 * The HTTP status of each code over REST (src/api/rest), answered with
 * `{"code", "message"}`. A body over the limit is 413 (body-limit.ts), not 429.
 */
export const CODE_TO_HTTP_STATUS: Readonly<Record<Code, number>> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 412,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};
