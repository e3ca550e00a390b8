import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import { backoffDelay } from "../core/backoff.js";
import { type Clock, systemClock } from "../core/clock.js";
import type { OutgoingRun } from "../core/ports/work-queue.js";
import type { Dispatcher, DispatchMetrics } from "./dispatcher.js";

/** Messages to the dispatch thread. */
export type ToDispatchThread = { type: "hold"; runs: OutgoingRun[] } | { type: "close" };

/** Messages from the dispatch thread. */
export type FromDispatchThread =
  /** Runs left the thread's hold, to be sent now. */
  | { type: "released"; count: number }
  /** Runs sent, with each one's lateness (sent minus scheduled), seconds. */
  | { type: "sent"; latenessS: number[] }
  | { type: "sendFailed" }
  /** SQS requests the thread's client sent (as billed), for the process's request metric. */
  | { type: "requests"; command: string; count: number }
  | { type: "closed" };

export interface DispatchThreadOptions {
  /** The thread's module (it runs `createDispatcher` on its own queue client). */
  entry: URL;
  /** Passed to the thread as `workerData.data`. */
  data: unknown;
  metrics: DispatchMetrics;
  /** Told of the thread's SQS requests, by command. */
  onQueueRequest?: ((command: string, requests: number) => void) | undefined;
  logger: Logger;
  /** Timers of the restart backoff. Default the system clock. */
  clock?: Clock;
  /** How long `close` waits for the thread to send what is due. Default 10 s. */
  closeTimeoutMs?: number;
  /**
   * Where the thread's heap is reported (`chronoring_dispatch_thread_heap_bytes`):
   * prom-client's `nodejs_heap_*` metrics are the main thread's alone.
   */
  registry?: Registry;
}

/** A new thread after 250 ms, doubling while threads keep dying, up to 30 s. */
const RESTART_BACKOFF = { baseMs: 250, maxMs: 30_000 };

/**
 * Loads a TypeScript thread module through tsx, as the main thread runs from
 * source. Built JavaScript (`npm run build`, no tsx installed) runs directly.
 */
const BOOT = new URL("./thread-boot.mjs", import.meta.url);

/** The module a new thread starts with, and what it is given. */
function threadStart(entry: URL, data: unknown): [URL, { workerData: unknown }] {
  return entry.pathname.endsWith(".ts")
    ? [BOOT, { workerData: { entry: entry.href, data } }]
    : [entry, { workerData: { data } }];
}

/**
 * The dispatcher in a thread of its own. The timers that send held runs at
 * their exact time then wait on nothing but that thread's event loop: in the
 * main thread they waited behind the partition loops' store calls (the
 * AWS SDK spends a millisecond or more of CPU per request), which put tens
 * of milliseconds on the fire lateness of a busy node.
 *
 * A thread that dies loses the runs it held, like a crashed process: their
 * claims are durable and the recovery sweep sends them. A new thread takes
 * over after 250 ms, doubling while threads keep dying (up to 30 s).
 */
export function startDispatchThread(options: DispatchThreadOptions): Dispatcher {
  const { metrics, logger, clock = systemClock } = options;
  let held = 0;
  let closing = false;
  /** Exits in a row, for the backoff before the next thread. */
  let restarts = 0;
  let onClosed: (() => void) | undefined;

  function spawn(): Worker {
    const worker = new Worker(...threadStart(options.entry, options.data));
    worker.on("message", (message: FromDispatchThread) => {
      switch (message.type) {
        case "released":
          held = Math.max(0, held - message.count);
          break;
        case "sent":
          for (const s of message.latenessS) metrics.fireLateness.observe(s);
          metrics.sent.inc(message.latenessS.length);
          break;
        case "sendFailed":
          metrics.sendFailures.inc();
          break;
        case "requests":
          options.onQueueRequest?.(message.command, message.count);
          break;
        case "closed":
          onClosed?.();
          break;
      }
    });
    worker.on("error", (err) => logger.error({ err }, "dispatch thread failed"));
    worker.on("exit", (code) => {
      if (closing) return;
      // Runs held until the new thread is up go nowhere: the sweep sends them.
      const delayMs = backoffDelay(RESTART_BACKOFF, ++restarts);
      logger.error(
        { code, delayMs },
        "dispatch thread exited; starting another (the sweep resends its runs)",
      );
      held = 0;
      clock.setTimeout(
        () => {
          if (!closing) thread = spawn();
        },
        delayMs,
        { unref: true },
      );
    });
    worker.once("online", () => {
      // Up and running for a while: a later exit starts the backoff afresh.
      clock.setTimeout(
        () => {
          if (thread === worker) restarts = 0;
        },
        60_000,
        { unref: true },
      );
    });
    return worker;
  }

  let thread = spawn();
  const post = (message: ToDispatchThread) => thread.postMessage(message);
  if (options.registry) {
    new Gauge({
      name: "chronoring_dispatch_thread_heap_bytes",
      help: "The dispatch thread's V8 heap: used and total bytes (nodejs_heap_* is the main thread's).",
      labelNames: ["state"] as const,
      registers: [options.registry],
      async collect() {
        // A thread starting, restarting or closed has none to read: the last values stay.
        const heap = await thread.getHeapStatistics().catch(() => undefined);
        if (!heap) return;
        this.set({ state: "used" }, heap.used_heap_size);
        this.set({ state: "total" }, heap.total_heap_size);
      },
    });
  }

  return {
    hold(runs) {
      if (closing || runs.length === 0) return;
      held += runs.length;
      post({ type: "hold", runs });
    },
    get pending() {
      return held;
    },
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => {
        onClosed = resolve;
        clock.setTimeout(resolve, options.closeTimeoutMs ?? 10_000, { unref: true });
      });
      post({ type: "close" });
      await closed;
      await thread.terminate();
      held = 0;
    },
  };
}
