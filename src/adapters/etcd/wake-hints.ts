import type { Namespace } from "etcd3";
import type { Logger } from "pino";
import type { Clock } from "../../core/clock.js";
import { etcdCall } from "./errors.js";
import { keys } from "./keys.js";
import { type RangeWatch, watchRange } from "./watch.js";

/**
 * Wake hints: one key per partition, without a lease, whose value is the
 * next run time (epoch ms) that an API node just scheduled there. Scheduler
 * nodes watch the prefix and poll that partition in time; a hint lost or
 * late costs only lateness (the periodic poll still finds the run).
 */
export function createWakeHints(deps: {
  ns: Namespace;
  logger: Logger;
  afterSnapshot?: (revision: number) => Promise<void>;
  /** The watch's re-read timers run on it. Default the system clock. */
  clock?: Clock;
}) {
  const { ns } = deps;
  return {
    async hint(partition: number, nextRunMs: number): Promise<void> {
      await etcdCall(() => ns.put(keys.wake(partition)).value(String(nextRunMs)).exec());
    },
    /** Calls `onWake` for every hint put after the watch began. */
    watch(onWake: (partition: number, nextRunMs: number) => void): Promise<RangeWatch> {
      // The revision each key was last reported at: the watch reports the
      // whole range, and only the keys put since are news.
      let seen: Map<string, number> | undefined;
      return watchRange({
        ns,
        key: keys.wakePrefix,
        prefix: true,
        logger: deps.logger,
        ...(deps.afterSnapshot ? { afterSnapshot: deps.afterSnapshot } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        onChange: (state) => {
          const first = seen === undefined;
          const next = new Map<string, number>();
          for (const [key, kv] of state) {
            const revision = Number(kv.mod_revision);
            next.set(key, revision);
            if (first || seen?.get(key) === revision) continue;
            const partition = Number(key.slice(keys.wakePrefix.length));
            const at = Number(kv.value.toString());
            if (Number.isInteger(partition) && Number.isFinite(at)) onWake(partition, at);
          }
          seen = next;
        },
      });
    },
  };
}
