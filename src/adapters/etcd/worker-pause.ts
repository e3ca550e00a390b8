import type { Namespace } from "etcd3";
import type { Logger } from "pino";
import type { Clock } from "../../core/clock.js";
import { invalidArgument } from "../../core/errors.js";
import { etcdCall } from "./errors.js";
import { keys } from "./keys.js";
import { type RangeWatch, watchRange } from "./watch.js";

/**
 * Worker pauses set through the API: one key per paused worker, without a
 * lease, so that a pause survives the worker's restart (same id) until
 * ResumeWorker clears it.
 */
export function createWorkerPauses(deps: {
  ns: Namespace;
  logger: Logger;
  afterSnapshot?: (revision: number) => Promise<void>;
  /** The watch's re-read timers run on it. Default the system clock. */
  clock?: Clock;
}) {
  const { ns } = deps;
  return {
    async set(id: string, paused: boolean): Promise<void> {
      if (id === "") throw invalidArgument("worker_id", "must not be empty");
      if (paused) await etcdCall(() => ns.put(keys.paused(id)).value("").exec());
      else await etcdCall(() => ns.delete().key(keys.paused(id)).exec());
    },
    async list(): Promise<string[]> {
      const found = await etcdCall(() => ns.getAll().prefix(keys.pausedPrefix).keys());
      return found.map((key) => key.slice(keys.pausedPrefix.length)).sort();
    },
    watch(id: string, onChange: (paused: boolean) => void): Promise<RangeWatch> {
      let last: boolean | undefined;
      return watchRange({
        ns,
        key: keys.paused(id),
        prefix: false,
        logger: deps.logger,
        ...(deps.afterSnapshot ? { afterSnapshot: deps.afterSnapshot } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
        onChange: (state) => {
          const paused = state.size > 0;
          if (paused === last) return;
          last = paused;
          onChange(paused);
        },
      });
    },
  };
}
