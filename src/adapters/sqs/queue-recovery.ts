/**
 * Queues that vanish: an SQS emulator restarted empty, or a queue deleted by
 * hand. Every message in them is lost, which the store makes good (the
 * recovery sweep sends claimed runs that did not start); what must not
 * happen is that every later send and receive fails for good. A call that
 * finds its queue gone creates the queues again (one creation at a time,
 * shared by the calls that wait for it) and is tried once more.
 */

import { SQSServiceException } from "@aws-sdk/client-sqs";

const GONE = new Set(["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);

/** Whether `err` (or the error it wraps) says the queue does not exist. */
export function queueGone(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as { Code?: unknown }).Code;
    if (e instanceof SQSServiceException && (GONE.has(e.name) || GONE.has(String(code)))) {
      return true;
    }
  }
  return false;
}

/**
 * Wraps calls so that a missing queue is created again by `recreate` and the
 * call repeated once; `onRecreated` is told each time (a log line).
 */
export function recreatingQueues(
  recreate: () => Promise<void>,
  onRecreated: () => void = () => {},
): <T>(call: () => Promise<T>) => Promise<T> {
  let running: Promise<void> | undefined;
  const once = () => {
    running ??= recreate()
      .then(onRecreated)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  return async (call) => {
    try {
      return await call();
    } catch (err) {
      if (!queueGone(err)) throw err;
      await once();
      return call();
    }
  };
}
