/**
 * Which PostgreSQL failures a later attempt may get past, for the retry
 * policy (HandlerResult.retryable). Pure: it reads the SQLSTATE code that
 * `pg` puts on a server error, and Node's `code` on a socket error.
 */

/** SQLSTATEs worth another attempt, beyond the classes in `RETRYABLE_CLASSES`. */
const RETRYABLE_CODES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available (lock_timeout)
  "57014", // query_canceled: the statement timeout, or a cancel
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "57P05", // idle_session_timeout
]);

/** 08: connection exceptions; 53: insufficient resources (too many connections, out of memory, disk full). */
const RETRYABLE_CLASSES = ["08", "53"];

/**
 * 08P01 (protocol_violation) is in class 08 but is how the server refuses a
 * statement given the wrong number of parameters: the same job fails the same way.
 */
const PERMANENT_CODES = new Set(["08P01"]);

export interface DatabaseFailure {
  retryable: boolean;
  /** `ERROR 23505 unique_violation: duplicate key ...` or the socket error. */
  summary: string;
}

/** SQLSTATE: five characters of [0-9A-Z]. */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Whether a SQLSTATE (or, for a socket error, no SQLSTATE) is worth another attempt. */
export function isRetryableSqlState(code: string | undefined): boolean {
  // No SQLSTATE: the connection itself failed (refused, reset, TLS, DNS, timed out).
  if (code === undefined) return true;
  if (PERMANENT_CODES.has(code)) return false;
  if (RETRYABLE_CODES.has(code)) return true;
  return RETRYABLE_CLASSES.includes(code.slice(0, 2));
}

/** Classifies an error thrown by `pg` (or by the socket under it). */
export function classifyDatabaseError(err: unknown): DatabaseFailure {
  const e = err as { code?: unknown; message?: unknown; detail?: unknown; severity?: unknown };
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : String(err);
  const code = typeof e?.code === "string" && SQLSTATE.test(e.code) ? e.code : undefined;
  if (code === undefined) {
    const sys = typeof e?.code === "string" ? ` (${e.code})` : "";
    return { retryable: true, summary: `connection failed: ${message}${sys}` };
  }
  const detail = typeof e.detail === "string" && e.detail !== "" ? ` (${e.detail})` : "";
  const severity = typeof e.severity === "string" ? e.severity : "ERROR";
  return {
    retryable: isRetryableSqlState(code),
    summary: `${severity} ${code}: ${message}${detail}`,
  };
}
