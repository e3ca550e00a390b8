import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { dynamo } from "./calls.js";

/** DynamoDB allows at most 100 actions in one transaction. */
export const MAX_TRANSACTION = 100;

/** A write whose only failures are conflicts with other writes is tried this often. */
const MAX_ATTEMPTS = 3;

/**
 * Why each action of a write was refused (DynamoDB's cancellation reason
 * codes, e.g. "ConditionalCheckFailed"); "None" for an action that was not
 * the cause.
 */
export type Refusal = string[];

export interface GroupCommit {
  /**
   * Writes `actions` all or nothing, in a transaction shared with other
   * callers' writes. Resolves with undefined once written, or with the
   * reasons when one of these actions was refused; never because of another
   * caller's action (those writes are tried again without it).
   */
  write(actions: TransactWriteItem[]): Promise<Refusal | undefined>;
}

interface Pending {
  actions: TransactWriteItem[];
  attempts: number;
  resolve(refusal: Refusal | undefined): void;
  reject(err: unknown): void;
}

/**
 * Group commit for DynamoDB transactions. A transaction costs about the same
 * whatever it holds, up to 100 actions, and DynamoDB Local runs them one at a
 * time: with one write per transaction a process tops out near 200 a second,
 * while shared transactions carry well over 1,000 actions a second. Writes
 * that arrive while `maxInFlight` transactions are under way wait and go
 * together in the next one.
 *
 * Sharing never changes an outcome: every action keeps its own condition.
 * Identical condition checks (the same fence, the same job) are sent once;
 * nothing else is shared. A write that touches an item another write in the
 * transaction touches, otherwise than by the same check, waits for the next:
 * so the same start delivered twice and sent in the same millisecond is
 * written once and refused once, as it would be one after the other. When a transaction is cancelled, the writes
 * whose actions were refused get the reasons, and the others are written
 * again.
 */
export function createGroupCommit(options: {
  client: DynamoDBClient;
  /** The key attributes of each table that Puts go to (`tableKeys`), to tell items apart. */
  keys: Record<string, string[]>;
  /** Transactions in flight at once (default 2). */
  maxInFlight?: number;
}): GroupCommit {
  const { client, keys } = options;
  const maxInFlight = options.maxInFlight ?? 2;
  const queue: Pending[] = [];
  let inFlight = 0;

  /** The table and key an action touches. */
  function itemOf(action: TransactWriteItem): string {
    const a = action.ConditionCheck ?? action.Update ?? action.Delete;
    if (a) return JSON.stringify([a.TableName, a.Key]);
    const { TableName, Item } = action.Put!;
    const names = keys[TableName ?? ""] ?? Object.keys(Item ?? {});
    return JSON.stringify([TableName, names.map((k) => Item?.[k])]);
  }

  /** One transaction's actions and, per write, where its actions sit. */
  function pack(): { actions: TransactWriteItem[]; writes: Array<[Pending, number[]]> } {
    const actions: TransactWriteItem[] = [];
    const writes: Array<[Pending, number[]]> = [];
    const bySignature = new Map<string, number>();
    const byItem = new Map<string, string>();
    for (let i = 0; i < queue.length; ) {
      const write = queue[i]!;
      const signatures = write.actions.map((a) => JSON.stringify(a));
      const fresh = signatures.filter((sig) => !bySignature.has(sig));
      const clash = write.actions.some((a, k) => {
        const seen = byItem.get(itemOf(a));
        return seen !== undefined && (seen !== signatures[k] || !a.ConditionCheck);
      });
      if (clash || actions.length + new Set(fresh).size > MAX_TRANSACTION) {
        i++;
        continue;
      }
      const slots = write.actions.map((a, k) => {
        const sig = signatures[k]!;
        let slot = bySignature.get(sig);
        if (slot === undefined) {
          slot = actions.push(a) - 1;
          bySignature.set(sig, slot);
          byItem.set(itemOf(a), sig);
        }
        return slot;
      });
      writes.push([write, slots]);
      queue.splice(i, 1);
      if (actions.length === MAX_TRANSACTION) break;
    }
    return { actions, writes };
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const { actions, writes } = pack();
      if (writes.length === 0) return;
      inFlight++;
      void commit(actions, writes).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  async function commit(
    actions: TransactWriteItem[],
    writes: Array<[Pending, number[]]>,
  ): Promise<void> {
    let reasons: string[];
    try {
      await send(actions);
      for (const [write] of writes) write.resolve(undefined);
      return;
    } catch (err) {
      const known = reasonsOf(err, actions.length);
      if (!known) {
        for (const [write] of writes) write.reject(err);
        return;
      }
      reasons = known;
    }
    const again: Pending[] = [];
    for (const [write, slots] of writes) {
      const own = slots.map((slot) => reasons[slot] ?? "None");
      if (own.includes("ConditionalCheckFailed")) write.resolve(own);
      else if (own.every((code) => code === "None")) again.push(write);
      else if (++write.attempts < MAX_ATTEMPTS) again.push(write);
      else write.resolve(own);
    }
    queue.unshift(...again);
  }

  /** One action alone goes as a plain Put or Update: cheaper than a transaction. */
  async function send(actions: TransactWriteItem[]): Promise<void> {
    const only = actions.length === 1 ? actions[0]! : undefined;
    if (only?.Update) {
      await dynamo(() => client.send(new UpdateItemCommand(only.Update!)));
    } else if (only?.Put) {
      await dynamo(() => client.send(new PutItemCommand(only.Put!)));
    } else {
      await dynamo(() => client.send(new TransactWriteItemsCommand({ TransactItems: actions })));
    }
  }

  return {
    write(actions) {
      if (actions.length === 0 || actions.length > MAX_TRANSACTION) {
        return Promise.reject(new RangeError(`a write holds 1 to ${MAX_TRANSACTION} actions`));
      }
      return new Promise((resolve, reject) => {
        queue.push({ actions, attempts: 0, resolve, reject });
        pump();
      });
    },
  };
}

/** The reason per action of a refused write, or undefined for any other failure. */
function reasonsOf(err: unknown, actions: number): string[] | undefined {
  if (err instanceof ConditionalCheckFailedException && actions === 1) {
    return ["ConditionalCheckFailed"];
  }
  if (!(err instanceof TransactionCanceledException)) return undefined;
  const reasons = (err.CancellationReasons ?? []).map((r) => r.Code ?? "None");
  return reasons.length === actions ? reasons : undefined;
}
