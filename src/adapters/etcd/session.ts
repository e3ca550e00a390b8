import { castGrpcError, type Etcd3, EtcdLeaseInvalidError } from "etcd3";
import type { Logger } from "pino";
import type { Clock, Timer } from "../../core/clock.js";
import { invalidArgument, unavailable } from "../../core/errors.js";
import type { Session } from "../../core/ports/coordinator.js";
import { etcdCall } from "./errors.js";

export interface SessionDeps {
  client: Etcd3;
  clock: Clock;
  logger: Logger;
}

type State = "live" | "lost" | "closed";

/**
 * How much earlier than the lease's expiry the session calls itself dead: it
 * absorbs a late timer, a slow event loop and the server's own expiry check.
 */
export function safetyMarginMs(ttlMs: number): number {
  return Math.max(200, Math.floor(ttlMs / 5));
}

/**
 * Grants a lease of `ttlMs` (rounded up to whole seconds, at least 1) and
 * keeps it alive. The session owns its deadline: etcd3's own keep-alive only
 * reports `lost` up to 2×TTL after the lease is gone, so it is not used.
 */
export async function openEtcdSession(deps: SessionDeps, ttlMs: number): Promise<EtcdSession> {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw invalidArgument("ttlMs", "must be positive");
  const ttlS = Math.max(1, Math.ceil(ttlMs / 1000));
  // The server starts the TTL when it handles the grant, never before we sent it.
  const sentAt = deps.clock.now();
  const granted = await etcdCall(() => deps.client.leaseClient.leaseGrant({ TTL: ttlS, ID: 0 }));
  if (granted.error) throw unavailable("etcd", new Error(`lease grant: ${granted.error}`));
  const session = new EtcdSession(deps, granted.ID, ttlS * 1000, sentAt);
  session.start();
  return session;
}

/**
 * A lease kept alive every TTL/3 by one keep-alive RPC at a time. `isLive()`
 * holds while the last acknowledged keep-alive was *sent* less than
 * TTL − margin ago: etcd refreshed the lease no earlier than that send, so
 * the server's expiry is always later than this deadline. Once lost, a
 * session never comes back: open a new one.
 */
export class EtcdSession implements Session {
  /** The lease id in hex, as `etcdctl lease list` shows it. */
  readonly id: string;
  /** The lease id in decimal, as the etcd3 client takes it. */
  readonly leaseId: string;
  readonly ttlMs: number;
  readonly marginMs: number;
  private readonly keepAliveEveryMs: number;
  private readonly logger: Logger;
  private lastAckSentAt: number;
  private state: State = "live";
  private failures = 0;
  private suspended = false;
  private keepAliveTimer: Timer | undefined;
  private deadlineTimer: Timer | undefined;
  private readonly lostListeners: (() => void)[] = [];
  private readonly endListeners: (() => void)[] = [];
  private readonly renewedListeners: (() => void)[] = [];

  constructor(
    private readonly deps: SessionDeps,
    leaseId: string,
    ttlMs: number,
    grantSentAt: number,
  ) {
    this.leaseId = leaseId;
    this.id = BigInt(leaseId).toString(16);
    this.ttlMs = ttlMs;
    this.marginMs = safetyMarginMs(ttlMs);
    this.keepAliveEveryMs = Math.max(1, Math.floor(ttlMs / 3));
    this.lastAckSentAt = grantSentAt;
    this.logger = deps.logger.child({ session: this.id });
  }

  /** Starts the keep-alive loop and the deadline timer (called once by `openEtcdSession`). */
  start(): void {
    this.armDeadline();
    this.scheduleKeepAlive(this.keepAliveEveryMs);
  }

  isLive(): boolean {
    return this.state === "live" && this.deps.clock.now() < this.deadline();
  }

  /** The own deadline (clock ms): `isLive()` turns false at this instant at the latest. */
  deadline(): number {
    return this.lastAckSentAt + this.ttlMs - this.marginMs;
  }

  onLost(listener: () => void): void {
    if (this.state === "lost") queueMicrotask(() => this.call(listener));
    else if (this.state === "live") this.lostListeners.push(listener);
  }

  onRenewed(listener: () => void): void {
    if (this.state === "live") this.renewedListeners.push(listener);
  }

  /**
   * Calls `listener` once when the session ends for any reason (lost or
   * closed). Returns a function that unregisters it.
   */
  onEnded(listener: () => void): () => void {
    if (this.state !== "live") {
      queueMicrotask(() => this.call(listener));
      return () => {};
    }
    this.endListeners.push(listener);
    return () => {
      const at = this.endListeners.indexOf(listener);
      if (at >= 0) this.endListeners.splice(at, 1);
    };
  }

  /**
   * Test hook: stops sending keep-alives while the process keeps running, as a
   * partition from etcd would. The session then dies on its own deadline.
   */
  suspendKeepAlives(): void {
    this.suspended = true;
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.stopTimers();
    this.renewedListeners.length = 0;
    this.fire(this.endListeners);
    await this.revoke();
  }

  private scheduleKeepAlive(delayMs: number): void {
    this.keepAliveTimer?.cancel();
    this.keepAliveTimer = this.deps.clock.setTimeout(
      () => void this.keepAlive(),
      Math.max(0, delayMs),
    );
  }

  private async keepAlive(): Promise<void> {
    if (this.state !== "live") return;
    if (this.suspended) return;
    const sentAt = this.deps.clock.now();
    let ttlS: number;
    try {
      ttlS = await this.keepAliveOnce(this.keepAliveEveryMs);
    } catch (err) {
      if (this.state !== "live") return;
      if (err instanceof EtcdLeaseInvalidError) {
        this.lose("etcd no longer knows the lease");
        return;
      }
      this.failures += 1;
      this.logger.warn({ err, failures: this.failures }, "etcd keep-alive failed; retrying");
      this.scheduleKeepAlive(Math.min(this.keepAliveEveryMs, 100 * this.failures));
      return;
    }
    if (this.state !== "live") return;
    if (ttlS <= 0) {
      this.lose("etcd answered that the lease expired or was revoked");
      return;
    }
    // Past the deadline, callers may already have seen isLive() false and
    // acted on it: a late acknowledgement must not bring the session back.
    if (!this.isLive()) {
      this.lose("keep-alive acknowledged after the session's own deadline");
      return;
    }
    this.failures = 0;
    this.lastAckSentAt = Math.max(this.lastAckSentAt, sentAt);
    this.armDeadline();
    for (const listener of this.renewedListeners) this.call(listener);
    this.scheduleKeepAlive(sentAt + this.keepAliveEveryMs - this.deps.clock.now());
  }

  /** One keep-alive on its own short stream; resolves with the TTL etcd answered. */
  private async keepAliveOnce(timeoutMs: number): Promise<number> {
    const stream = await this.deps.client.leaseClient.leaseKeepAlive({
      deadline: Date.now() + timeoutMs,
    });
    return new Promise<number>((resolve, reject) => {
      stream.on("data", (res) => {
        resolve(Number(res.TTL));
        stream.end();
      });
      stream.on("error", (err: Error) => reject(castGrpcError(err)));
      stream.write({ ID: this.leaseId });
    });
  }

  private armDeadline(): void {
    this.deadlineTimer?.cancel();
    const delay = Math.max(10, this.deadline() - this.deps.clock.now());
    this.deadlineTimer = this.deps.clock.setTimeout(() => {
      if (this.state !== "live") return;
      if (this.isLive()) this.armDeadline();
      else this.lose(`no keep-alive acknowledged within ${this.ttlMs - this.marginMs} ms`);
    }, delay);
  }

  private lose(reason: string): void {
    if (this.state !== "live") return;
    this.state = "lost";
    this.stopTimers();
    this.renewedListeners.length = 0;
    this.logger.warn({ reason, ttlMs: this.ttlMs }, "etcd session lost");
    // We have declared ourselves dead: make etcd agree now rather than at expiry.
    void this.revoke();
    this.fire(this.endListeners);
    this.fire(this.lostListeners);
  }

  private async revoke(): Promise<void> {
    try {
      await this.deps.client.leaseClient.leaseRevoke({ ID: this.leaseId });
    } catch (err) {
      if (err instanceof EtcdLeaseInvalidError) return;
      this.logger.warn({ err }, "etcd lease revoke failed; it will expire on its own");
    }
  }

  private stopTimers(): void {
    this.keepAliveTimer?.cancel();
    this.deadlineTimer?.cancel();
    this.keepAliveTimer = undefined;
    this.deadlineTimer = undefined;
  }

  private fire(listeners: (() => void)[]): void {
    for (const listener of listeners.splice(0)) this.call(listener);
  }

  private call(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.logger.error({ err }, "session listener threw");
    }
  }
}
