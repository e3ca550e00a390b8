import type { Namespace } from "etcd3";
import type { Logger } from "pino";
import { type Clock, systemClock } from "../../core/clock.js";
import { failedPrecondition, isChronoringError } from "../../core/errors.js";
import type { Leadership } from "../../core/ports/coordinator.js";
import { retry } from "../../core/retry.js";
import { ETCD_BACKOFF } from "./backoff.js";
import { etcdCall } from "./errors.js";
import { keys } from "./keys.js";
import type { EtcdSession } from "./session.js";
import { type RangeWatch, watchRange } from "./watch.js";

export interface ElectionDeps {
  ns: Namespace;
  logger: Logger;
  /** Leaderships not yet ended, so that the coordinator's close can end them. */
  active: Set<EtcdLeadership>;
  /** Timers of the retries while etcd is unavailable. Default the system clock. */
  clock?: Clock;
}

/**
 * Leadership held through the election key `election/<leaseIdHex>`. It ends
 * (once, firing `onLost`) when the session ends, when the key is seen gone or
 * re-created, or on `resign`; `isLeader()` also checks the session's own
 * deadline on every call, so it turns false before the lease can expire.
 */
export class EtcdLeadership implements Leadership {
  private active = true;
  private readonly listeners: (() => void)[] = [];
  private monitor: RangeWatch | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: ElectionDeps,
    readonly session: EtcdSession,
    /** The election key, relative to the namespace. */
    readonly key: string,
    readonly term: number,
  ) {
    deps.active.add(this);
    this.unsubscribe = session.onEnded(() => this.end("session ended"));
  }

  isLeader(): boolean {
    return this.active && this.session.isLive();
  }

  onLost(listener: () => void): void {
    if (this.active) this.listeners.push(listener);
    else queueMicrotask(() => this.call(listener));
  }

  /** Gives leadership up at once locally, then deletes the key so the next candidate wins. */
  async resign(): Promise<void> {
    if (!this.active) return;
    this.end("resigned");
    await deleteIfOurs(this.deps.ns, this.key, this.term);
  }

  /** Watches the key: leadership ends if it is deleted or replaced behind our back. */
  async watchKey(): Promise<void> {
    const monitor = await watchRange({
      ns: this.deps.ns,
      key: this.key,
      prefix: false,
      logger: this.deps.logger,
      ...(this.deps.clock ? { clock: this.deps.clock } : {}),
      onChange: (state) => {
        const kv = state.get(this.key);
        if (!kv || Number(kv.create_revision) !== this.term) this.end("election key gone");
      },
    });
    if (this.active) this.monitor = monitor;
    else await monitor.stop();
  }

  /** Ends leadership locally (idempotent) and tells the listeners. */
  end(reason: string): void {
    if (!this.active) return;
    this.active = false;
    this.deps.active.delete(this);
    this.unsubscribe();
    const monitor = this.monitor;
    this.monitor = undefined;
    void monitor?.stop();
    this.deps.logger.info({ term: this.term, reason }, "leadership ended");
    for (const listener of this.listeners.splice(0)) this.call(listener);
  }

  private call(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.deps.logger.error({ err }, "leadership listener threw");
    }
  }
}

/**
 * The standard etcd election: create `election/<lease>` under the session's
 * lease, then wait until no key with a lower create revision is left,
 * watching only the one just before ours (no thundering herd). The term is
 * our key's create revision, so each new leader's term is higher.
 */
export async function campaign(
  deps: ElectionDeps,
  session: EtcdSession,
  candidateId: string,
  signal?: AbortSignal,
): Promise<EtcdLeadership> {
  signal?.throwIfAborted();
  if (!session.isLive()) throw failedPrecondition("etcd session is not live");
  const { ns } = deps;
  const key = keys.election(session.id);
  const created = await etcdCall(() =>
    ns
      .if(key, "Create", "==", 0)
      .then(ns.put(key).value(candidateId).lease(session.leaseId))
      .else(ns.get(key))
      .commit(),
  );
  let term = Number(created.header.revision);
  if (!created.succeeded) {
    // This session already has a key (an earlier campaign): keep its place in line.
    const kv = created.responses[0]?.response_range.kvs[0];
    if (!kv) throw failedPrecondition("election key vanished while campaigning");
    term = Number(kv.create_revision);
    await etcdCall(() => ns.put(key).value(candidateId).lease(session.leaseId).exec());
  }

  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const unsubscribe = session.onEnded(() =>
    stop.abort(failedPrecondition("etcd session ended during the campaign")),
  );
  try {
    await waitForPredecessors(deps, term, stop.signal);
    const own = await etcdCall(() => ns.getAll().prefix(key).exec());
    const kv = own.kvs.find((k) => k.key.toString() === key);
    if (!kv || Number(kv.create_revision) !== term) {
      throw failedPrecondition("election key vanished while campaigning");
    }
    stop.signal.throwIfAborted();
    if (!session.isLive()) throw failedPrecondition("etcd session is not live");
  } catch (err) {
    // Out of the race: never become leader later without knowing it.
    if (session.isLive()) {
      await deleteIfOurs(ns, key, term).catch((e: unknown) =>
        deps.logger.warn({ err: e }, "could not withdraw the election key"),
      );
    }
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    unsubscribe();
  }
  const leadership = new EtcdLeadership(deps, session, key, term);
  try {
    await leadership.watchKey();
  } catch (err) {
    await leadership.resign().catch(() => undefined);
    throw err;
  }
  deps.logger.info({ term, candidateId }, "elected leader");
  return leadership;
}

/** The candidate id of the key with the lowest create revision, if any. */
export async function currentLeader(ns: Namespace): Promise<string | undefined> {
  const res = await etcdCall(() =>
    ns.getAll().prefix(keys.electionPrefix).sort("Create", "Ascend").limit(1).exec(),
  );
  return res.kvs[0]?.value.toString();
}

async function waitForPredecessors(
  deps: ElectionDeps,
  term: number,
  stop: AbortSignal,
): Promise<void> {
  for (;;) {
    const res = await retrying(deps, stop, () =>
      deps.ns
        .getAll()
        .prefix(keys.electionPrefix)
        .maxCreateRevision(String(term - 1))
        .sort("Create", "Descend")
        .limit(1)
        .exec(),
    );
    const before = res.kvs[0];
    if (!before) return;
    await waitForDeletion(deps, before.key.toString(), stop);
  }
}

async function waitForDeletion(deps: ElectionDeps, key: string, stop: AbortSignal): Promise<void> {
  let gone!: () => void;
  const deleted = new Promise<void>((resolve) => {
    gone = resolve;
  });
  const watch = await retrying(deps, stop, () =>
    watchRange({
      ns: deps.ns,
      key,
      prefix: false,
      logger: deps.logger,
      ...(deps.clock ? { clock: deps.clock } : {}),
      onChange: (state) => {
        if (!state.has(key)) gone();
      },
    }),
  );
  try {
    await untilAborted(deleted, stop);
  } finally {
    await watch.stop();
  }
}

/** Retries an etcd read with backoff while etcd is unavailable, until `stop` aborts. */
function retrying<T>(deps: ElectionDeps, stop: AbortSignal, call: () => Promise<T>): Promise<T> {
  return retry(ETCD_BACKOFF, () => etcdCall(call), deps.clock ?? systemClock, {
    signal: stop,
    retryable: (err) => isChronoringError(err, "unavailable"),
    onRetry: (err, attempt) =>
      deps.logger.warn({ err, attempt }, "etcd unavailable while campaigning; retrying"),
  });
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

async function deleteIfOurs(ns: Namespace, key: string, term: number): Promise<void> {
  await etcdCall(() => ns.if(key, "Create", "==", term).then(ns.delete().key(key)).commit());
}
