/**
 * The CLI's exit codes, one per class of error, so that scripts can branch
 * on them; the table is in docs/cli.md. Server errors keep their message
 * verbatim (an InvalidArgument names the field).
 */

import { Code, ConnectError } from "@connectrpc/connect";
import { CommanderError } from "commander";
import { KIND_TO_CODE } from "../api/error-map.js";
import { isChronoringError } from "../core/errors.js";

export const EXIT = {
  ok: 0,
  /** Anything not below: an internal server error, a bug, a deadline. */
  other: 1,
  /** Bad flags or arguments (commander, or a check of ours before any call). */
  usage: 2,
  invalidArgument: 3,
  notFound: 4,
  /** Permission denied or unauthenticated. */
  denied: 5,
  /** Already exists, aborted (version mismatch), failed precondition. */
  conflict: 6,
  /** The server cannot be reached, answered Unavailable, or not within the deadline. */
  unavailable: 7,
  resourceExhausted: 8,
  /** Not an error: `apply --dry-run` found changes to make (as `terraform plan -detailed-exitcode`). */
  changesPlanned: 2,
} as const;

/** The exit code of a command that succeeded but tells something by it; 0 by default. */
let succeeded: number = EXIT.ok;

export function succeedWith(code: number): void {
  succeeded = code;
}

/** The code `succeedWith` set (then 0 again, for the next run in this process). */
export function takeSuccessCode(): number {
  const code = succeeded;
  succeeded = EXIT.ok;
  return code;
}

const BY_CODE: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: EXIT.invalidArgument,
  [Code.OutOfRange]: EXIT.invalidArgument,
  [Code.NotFound]: EXIT.notFound,
  [Code.PermissionDenied]: EXIT.denied,
  [Code.Unauthenticated]: EXIT.denied,
  [Code.AlreadyExists]: EXIT.conflict,
  [Code.Aborted]: EXIT.conflict,
  [Code.FailedPrecondition]: EXIT.conflict,
  [Code.Unavailable]: EXIT.unavailable,
  // No answer in time: as good as unreachable, and as safe to retry.
  [Code.DeadlineExceeded]: EXIT.unavailable,
  [Code.ResourceExhausted]: EXIT.resourceExhausted,
};

/** A usage error found by a command itself (a flag missing for this case): exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Input that is wrong before any call is made (a file that is not a job): exit 3. */
export class InputError extends Error {
  override name = "InputError";
}

/** The exit code for an error. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof InputError) return EXIT.invalidArgument;
  if (err instanceof ConnectError) return BY_CODE[err.code] ?? EXIT.other;
  // Commands that work on the backends directly (backup, restore) fail with domain errors.
  if (isChronoringError(err)) return BY_CODE[KIND_TO_CODE[err.kind]] ?? EXIT.other;
  return EXIT.other;
}

/** What to add to a server error so that the user knows what to do next. */
function hint(err: ConnectError, url: string): string {
  switch (err.code) {
    case Code.Unauthenticated:
      return "\n  send a valid token: CHRONORING_TOKEN or --token (the dev stack's is .data/auth/admin.token)";
    case Code.Unavailable:
      return `\n  is Chronoring running at ${url}? (CHRONORING_URL or --url)`;
    default:
      return "";
  }
}

/**
 * The message printed on stderr: a server error as Connect renders it
 * (`[invalid_argument] schedule.cron: ...`, the server's words unchanged),
 * with a hint for the codes where one helps.
 */
export function errorText(err: unknown, url: string): string {
  if (err instanceof ConnectError) return `${err.message}${hint(err, url)}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
