import type { Delivery, ExtendFailure } from "../../core/ports/work-queue.js";
import { DEFAULT_PRIORITY, type Priority } from "../../core/priority.js";
import type { RunMessage } from "./message-body.js";
import type { PackAction, PackTracker } from "./packs.js";
import type { traceAttributes } from "./trace-attributes.js";
import type { createVisibility } from "./visibility.js";

export type Attributes = ReturnType<typeof traceAttributes>;

/** One message to send: its body (a run or a pack), delay and attributes. */
export interface OutgoingMessage {
  body: string;
  delay?: number;
  attributes?: Attributes;
}

/**
 * Acknowledging and keeping invisible the runs of packs (`packs.ts`) on
 * SQS: what a run's ack or give-back means for its message, carried out.
 */
export function createPackedVisibility(deps: {
  packs: PackTracker<RunMessage>;
  visibility: ReturnType<typeof createVisibility>;
  sendMessages(messages: Array<{ priority: Priority; message: OutgoingMessage }>): Promise<void>;
  ackMessage(priority: Priority | undefined, receipt: string): Promise<void>;
}) {
  const { packs, visibility, sendMessages, ackMessage } = deps;

  /** Carries out what acknowledging or giving back a pack's runs means for its message. */
  async function act(
    priority: Priority | undefined,
    action: PackAction<RunMessage>,
  ): Promise<void> {
    const queue = priority ?? DEFAULT_PRIORITY;
    if (action.kind === "delete") await ackMessage(queue, action.receipt);
    else if (action.kind === "resend") {
      await sendMessages(
        action.runs.map((run) => ({
          priority: queue,
          message: {
            body: JSON.stringify(run),
            attributes: action.attributes as Attributes | undefined,
          },
        })),
      );
      await act(queue, packs.settled(action.handles));
    }
  }

  /**
   * `extendAll` over packs: one visibility change per message, whatever the
   * runs of it asked for; a message's failure is each of its runs'. Giving
   * back (0 s) a pack's runs is `packs.ts`'s: the whole message made
   * visible, or the runs sent again on their own.
   */
  async function extendAll(
    deliveries: readonly Delivery[],
    seconds: number,
  ): Promise<ExtendFailure[]> {
    const failed: ExtendFailure[] = [];
    const members = deliveries.filter((d) => packs.isMember(d.handle));
    // Each run's message, read before a give-back settles its pack.
    const receipts = new Map(deliveries.map((d) => [d.handle, packs.receiptOf(d.handle)]));
    const messages = new Map<string, Delivery>();
    for (const d of deliveries) {
      if (!packs.isMember(d.handle)) messages.set(d.handle, d);
    }
    if (seconds > 0) {
      for (const d of members) {
        const receipt = receipts.get(d.handle)!;
        if (!messages.has(receipt)) messages.set(receipt, { ...d, handle: receipt });
      }
    } else {
      const priorityOf = new Map(members.map((d) => [d.handle, d.priority] as const));
      for (const action of packs.givenBack(members.map((d) => d.handle))) {
        if (action.kind === "release") {
          const first = members.find((d) => receipts.get(d.handle) === action.receipt);
          messages.set(action.receipt, { ...first!, handle: action.receipt });
        } else if (action.kind === "resend") {
          try {
            await act(priorityOf.get(action.handles[0]!), action);
          } catch (err) {
            const error = err instanceof Error ? err : new Error(String(err));
            for (const d of members) {
              if (action.handles.includes(d.handle)) failed.push({ delivery: d, error });
            }
          }
        }
      }
    }
    for (const f of await visibility.extendAll([...messages.values()], seconds)) {
      // A message's failure is each of its runs' that asked.
      const asked = deliveries.filter((d) => receipts.get(d.handle) === f.delivery.handle);
      for (const delivery of asked.length ? asked : [f.delivery])
        failed.push({ delivery, error: f.error });
    }
    return failed;
  }

  return { act, extendAll };
}
