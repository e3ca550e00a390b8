import { Etcd3, type IOptions, isRecoverableError } from "etcd3";

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions["faultHandling"]>["host"]>>;

/**
 * An etcd3 client whose unary calls carry a deadline. etcd3 1.1.2 ignores
 * `dialTimeout`, so without one a call to an unreachable host waits for the
 * TCP connect timeout. Streams (watch, keep-alive) get no default deadline:
 * a watch lives forever and the session sets one per keep-alive.
 */
export function createEtcdClient(endpoints: string[], requestTimeoutMs: number): Etcd3 {
  if (endpoints.length === 0) throw new Error("etcd: no endpoints");
  return new Etcd3({
    hosts: endpoints,
    defaultCallOptions: (context) =>
      context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs },
    faultHandling: { host: () => hostBreaker() },
  });
}

/** Thrown instead of calling a host whose breaker is open; etcd3 then tries the next host. */
export class EtcdHostSkippedError extends Error {
  constructor() {
    super("etcd host skipped after consecutive failures");
    this.name = "EtcdHostSkippedError";
  }
}

/**
 * Per-host circuit breaker replacing etcd3's default (3 failures, then every
 * call refused for 5 s), which turns a one-second etcd blip into a 5 s outage
 * — longer than a 2 s session survives. This one skips a host for `openMs`
 * after `threshold` consecutive failures, then lets one call probe it. With
 * several endpoints it still steers calls away from a dead host.
 */
export function hostBreaker(openMs = 1_000, threshold = 3): HostPolicy {
  let failures = 0;
  let openUntil = 0;
  let probing = false;
  const noEvent = () => ({ dispose() {} });
  const policy = {
    onSuccess: noEvent,
    onFailure: noEvent,
    async execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> {
      const probe = failures >= threshold;
      if (probe && (Date.now() < openUntil || probing)) throw new EtcdHostSkippedError();
      if (probe) probing = true;
      try {
        const result = await fn({ signal: new AbortController().signal });
        failures = 0;
        return result;
      } catch (err) {
        if (err instanceof Error && isRecoverableError(err)) {
          failures += 1;
          if (failures >= threshold) openUntil = Date.now() + openMs;
        } else {
          failures = 0; // the host answered
        }
        throw err;
      } finally {
        if (probe) probing = false;
      }
    },
  };
  // Structurally what etcd3 calls (`execute`); the type is cockatiel's, which
  // is only a transitive dependency.
  return policy as unknown as HostPolicy;
}
