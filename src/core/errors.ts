/**
 * Domain errors. Core and adapters throw these; the API maps each kind to one
 * Connect code in `src/api/error-map.ts` and nowhere else.
 */

export type ErrorKind =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "aborted"
  | "permission_denied"
  | "unauthenticated"
  | "resource_exhausted"
  | "unavailable";

export class ChronoringError extends Error {
  readonly kind: ErrorKind;
  /** The request field at fault, dotted (`schedule.cron`), for invalid_argument. */
  readonly field: string | undefined;

  constructor(kind: ErrorKind, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "ChronoringError";
    this.kind = kind;
    this.field = options.field;
  }
}

/** Bad input: the message starts with the field name so that a client can act on it. */
export function invalidArgument(field: string, problem: string): ChronoringError {
  return new ChronoringError("invalid_argument", `${field}: ${problem}`, { field });
}

export function notFound(what: string): ChronoringError {
  return new ChronoringError("not_found", `${what} not found`);
}

export function alreadyExists(what: string): ChronoringError {
  return new ChronoringError("already_exists", `${what} already exists`);
}

export function failedPrecondition(message: string): ChronoringError {
  return new ChronoringError("failed_precondition", message);
}

export function aborted(message: string): ChronoringError {
  return new ChronoringError("aborted", message);
}

/** A backend could not be reached or kept failing; the caller may retry. */
export function unavailable(what: string, cause: unknown): ChronoringError {
  return new ChronoringError("unavailable", `${what} is unavailable, retry later`, { cause });
}

export function isChronoringError(err: unknown, kind?: ErrorKind): err is ChronoringError {
  return err instanceof ChronoringError && (kind === undefined || err.kind === kind);
}

/**
 * A node tried to claim in a partition that a newer owner has fenced: it is
 * stale (paused past its lease, or cut off) and must stop firing that partition.
 */
export class StaleOwnerError extends ChronoringError {
  constructor(
    partition: number,
    epoch: number,
    /**
     * Which claims of the refused call were won all the same (claims are
     * separate writes): runs of jobs the newer owner had not touched yet,
     * each claimed once and recorded for recovery. Absent: none was.
     */
    readonly won?: boolean[],
  ) {
    super("failed_precondition", `partition ${partition} is owned at a newer epoch than ${epoch}`);
    this.name = "StaleOwnerError";
  }
}
