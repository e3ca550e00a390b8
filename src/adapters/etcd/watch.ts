import type { IKeyValue, IRangeResponse, IWatchResponse, Namespace, Watcher } from "etcd3";
import type { Logger } from "pino";
import { backoffDelay } from "../../core/backoff.js";
import { type Clock, systemClock, type Timer } from "../../core/clock.js";
import { ETCD_BACKOFF } from "./backoff.js";
import { etcdCall } from "./errors.js";

/** Key (relative to the namespace) → its current key-value. */
export type RangeState = ReadonlyMap<string, IKeyValue>;

export interface RangeWatchOptions {
  ns: Namespace;
  /** A key, or a key prefix when `prefix` is true. */
  key: string;
  prefix: boolean;
  /** Called with the whole range after the first read and after every change. */
  onChange: (state: RangeState, revision: number) => void;
  logger: Logger;
  /** Test hook: runs between a snapshot read and the watch that continues it. */
  afterSnapshot?: (revision: number) => Promise<void>;
  /** Timers of the re-read backoff. Default the system clock. */
  clock?: Clock;
}

export interface RangeWatch {
  /** Stops watching; `onChange` is not called afterwards. */
  stop(): Promise<void>;
  /** How many times the watch was rebuilt (read again, then watched again). */
  resyncs(): number;
}

/**
 * Watches a key or prefix without ever missing a change: reads the range with
 * its revision, then watches from revision + 1. When the watch is cancelled
 * by etcd (a compacted start revision: etcd3 1.1.2 surfaces it only as
 * "Watcher canceled: " with no reason) or its stream disconnects, it drops
 * the watcher, reads again and watches from the new revision, retrying with
 * backoff while etcd is unreachable. etcd3's own re-subscription is not
 * relied on: it resumes from the revision of its last *creation* header, so
 * a disconnect before the backlog was delivered would skip events.
 *
 * Resolves after the first read (rejects with `unavailable` if it fails).
 */
export async function watchRange(options: RangeWatchOptions): Promise<RangeWatch> {
  const range = new ResilientRange(options);
  await range.sync();
  return range;
}

class ResilientRange implements RangeWatch {
  private state = new Map<string, IKeyValue>();
  private watcher: Watcher | undefined;
  private stopped = false;
  private attempt = 0;
  private resyncCount = 0;
  private timer: Timer | undefined;

  constructor(private readonly o: RangeWatchOptions) {}

  resyncs(): number {
    return this.resyncCount;
  }

  /** Reads the range, reports it, then watches from the next revision. */
  async sync(): Promise<void> {
    const res = await this.read();
    if (this.stopped) return;
    const revision = Number(res.header.revision);
    this.state = new Map(res.kvs.map((kv) => [kv.key.toString(), kv]));
    this.report(revision);
    await this.o.afterSnapshot?.(revision);
    if (this.stopped) return;
    this.attach(revision + 1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher) await cancelQuietly(watcher, this.o.clock ?? systemClock);
  }

  private read(): Promise<IRangeResponse> {
    const { ns, key, prefix } = this.o;
    // Single-key reads come back with the namespace prefix still on (etcd3
    // 1.1.2 only strips it on multi-key reads): read a key as a range too.
    return etcdCall(() => ns.getAll().prefix(key).exec()).then((res) =>
      prefix ? res : { ...res, kvs: res.kvs.filter((kv) => kv.key.toString() === key) },
    );
  }

  private attach(fromRevision: number): void {
    const builder = this.o.ns.watch().startRevision(String(fromRevision));
    const watcher = (
      this.o.prefix ? builder.prefix(this.o.key) : builder.key(this.o.key)
    ).watcher();
    this.watcher = watcher;
    // Always listen for errors: an EventEmitter `error` without a listener throws.
    watcher.on("error", (err) => this.broken(watcher, "cancelled by etcd", err, false));
    watcher.on("disconnected", (err) => this.broken(watcher, "stream disconnected", err, true));
    watcher.on("connected", () => {
      if (watcher === this.watcher) this.attempt = 0;
    });
    watcher.on("data", (res: IWatchResponse) => {
      if (watcher !== this.watcher || this.stopped) return;
      this.apply(res);
    });
  }

  private apply(res: IWatchResponse): void {
    if (res.events.length === 0) return; // progress notification
    for (const event of res.events) {
      // The watcher's own listener has already stripped the namespace prefix.
      const key = event.kv.key.toString();
      if (event.type === "Put") this.state.set(key, event.kv);
      else this.state.delete(key);
    }
    this.report(Number(res.header.revision));
  }

  private broken(watcher: Watcher, why: string, err: unknown, detach: boolean): void {
    if (watcher !== this.watcher || this.stopped) return;
    this.watcher = undefined;
    // A watcher cancelled by etcd is already detached; a disconnected one
    // would be re-subscribed by etcd3 unless detached.
    if (detach) void cancelQuietly(watcher, this.o.clock ?? systemClock);
    this.o.logger.warn({ err, key: this.o.key, why }, "etcd watch broken; reading again");
    this.scheduleResync();
  }

  private scheduleResync(): void {
    this.attempt += 1;
    const delay = backoffDelay(ETCD_BACKOFF, this.attempt);
    this.timer = (this.o.clock ?? systemClock).setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.resyncCount += 1;
      this.sync().catch((err: unknown) => {
        if (this.stopped) return;
        this.o.logger.warn({ err, key: this.o.key }, "etcd watch re-read failed; retrying");
        this.scheduleResync();
      });
    }, delay);
  }

  private report(revision: number): void {
    try {
      this.o.onChange(this.state, revision);
    } catch (err) {
      this.o.logger.error({ err, key: this.o.key }, "etcd watch listener threw");
    }
  }
}

/** Detaches a watcher; never hangs (etcd3 waits for an `end` that may not come). */
async function cancelQuietly(watcher: Watcher, clock: Clock): Promise<void> {
  let timer: Timer | undefined;
  await Promise.race([
    watcher.cancel().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = clock.setTimeout(resolve, 1_000);
    }),
  ]);
  timer?.cancel();
}
