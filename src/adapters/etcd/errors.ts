import { EtcdLeaseInvalidError } from "etcd3";
import { ChronoringError, isChronoringError, unavailable } from "../../core/errors.js";

/**
 * Maps an error from the etcd3 client to a domain error: a missing lease means
 * the session is gone (the caller must open a new one), anything else means
 * etcd could not be reached or answered too late.
 */
export function toDomainError(err: unknown): ChronoringError {
  if (isChronoringError(err)) return err;
  if (err instanceof EtcdLeaseInvalidError) {
    return new ChronoringError("failed_precondition", "etcd session lease is gone", {
      cause: err,
    });
  }
  return unavailable("etcd", err);
}

/** Runs one etcd call, rethrowing its failure as a domain error. */
export async function etcdCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toDomainError(err);
  }
}
