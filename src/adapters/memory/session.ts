import type { Clock } from "../../core/clock.js";
import type { Session } from "../../core/ports/coordinator.js";

/** A session of the memory coordinator; `expire` stands for a lease that ran out. */
export class MemorySession implements Session {
  readonly id: string;
  private live = true;
  private readonly lost = new Set<() => void>();
  private readonly renewed = new Set<() => void>();
  private timer: { cancel(): void } | undefined;

  constructor(
    id: number,
    readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly ended: (session: MemorySession) => void,
  ) {
    this.id = id.toString(16);
    this.renew();
  }

  /** Heartbeats every third of the TTL, as the etcd session's keep-alives. */
  private renew(): void {
    this.timer = this.clock.setTimeout(
      () => {
        if (!this.live) return;
        for (const listener of [...this.renewed]) listener();
        this.renew();
      },
      Math.max(1, Math.floor(this.ttlMs / 3)),
      { unref: true },
    );
  }

  isLive(): boolean {
    return this.live;
  }
  onLost(listener: () => void): void {
    this.lost.add(listener);
  }
  onRenewed(listener: () => void): void {
    this.renewed.add(listener);
  }
  /** The lease is gone: keys under it vanish, listeners hear of it once. */
  expire(): void {
    if (!this.live) return;
    this.live = false;
    this.timer?.cancel();
    this.ended(this);
    for (const listener of [...this.lost]) listener();
  }
  async close(): Promise<void> {
    if (!this.live) return;
    this.live = false;
    this.timer?.cancel();
    this.ended(this);
  }
}
