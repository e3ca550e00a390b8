import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;

interface Action {
  Put?: { Item?: Item };
  Update?: { Key?: Item; ExpressionAttributeValues?: Item };
  Delete?: { Key?: Item };
  ConditionCheck?: { Key?: Item };
}

interface Input extends Action {
  Item?: Item;
  Key?: Item;
  ExpressionAttributeValues?: Item;
  ConsistentRead?: boolean;
  TransactItems?: Action[];
  RequestItems?: Record<
    string,
    Array<{ PutRequest?: { Item?: Item } }> | { ConsistentRead?: boolean }
  >;
}

interface Output {
  Item?: Item;
  Items?: Item[];
  Responses?: Record<string, Item[]> | Array<{ Item?: Item }>;
}

/** Request units of one call, as on-demand DynamoDB bills them. */
export interface Units {
  write: number;
  read: number;
}

/**
 * Counts the calls a client makes and the request units DynamoDB on-demand
 * would bill for what it sends, by SDK middleware, per command: a plain write 1 unit per KB of item
 * (rounded up per item), a transactional one 2 per KB and action (condition
 * checks included); a read 0.5 per 4 KB eventually consistent, 1 strongly
 * consistent, 2 transactional (a Query or Scan rounds the sum of the items it
 * returns; a batch rounds each item). Writes are counted as sent (a refused
 * condition is billed too), reads from the answer.
 *
 * An estimate: an Update or ConditionCheck is sized by what the request
 * carries (key and values), which is below the stored item's size when that
 * passes 1 KB; a Query's filtered-out items are not seen.
 */
export class CapacityCounter {
  private readonly byCommand = new Map<string, Units>();
  private readonly calls = new Map<string, number>();

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? "unknown";
        const input = args.input as Input;
        this.calls.set(command, (this.calls.get(command) ?? 0) + 1);
        this.add(command, { write: writeUnits(command, input), read: 0 });
        const result = await next(args);
        this.add(command, { write: 0, read: readUnits(command, input, result.output as Output) });
        return result;
      },
      { step: "initialize", name: "chronoringCapacityCounter" },
    );
  }

  private add(command: string, units: Units): void {
    if (units.write === 0 && units.read === 0) return;
    const total = this.byCommand.get(command) ?? { write: 0, read: 0 };
    total.write += units.write;
    total.read += units.read;
    this.byCommand.set(command, total);
  }

  /** Units so far, by command name. */
  snapshot(): Map<string, Units> {
    return new Map([...this.byCommand].map(([k, v]) => [k, { ...v }]));
  }

  /**
   * Calls made so far, by command name (one per call, whatever the SDK's
   * retries): what an idle node's cost is counted in, where a Query that
   * finds nothing is still a request.
   */
  requests(): Map<string, number> {
    return new Map(this.calls);
  }
}

const KB = 1024;

function writeUnits(command: string, input: Input): number {
  switch (command) {
    case "PutItemCommand":
      return kb(itemSize(input.Item));
    case "UpdateItemCommand":
      return kb(itemSize(input.Key) + itemSize(input.ExpressionAttributeValues));
    case "DeleteItemCommand":
      return kb(itemSize(input.Key));
    case "TransactWriteItemsCommand":
      return (input.TransactItems ?? []).reduce((n, a) => n + 2 * kb(actionSize(a)), 0);
    case "BatchWriteItemCommand":
      return Object.values(input.RequestItems ?? {})
        .flatMap((reqs) => (Array.isArray(reqs) ? reqs : []))
        .reduce((n, r) => n + kb(itemSize(r.PutRequest?.Item)), 0);
    default:
      return 0;
  }
}

function readUnits(command: string, input: Input, output: Output | undefined): number {
  const per = input.ConsistentRead ? 1 : 0.5;
  switch (command) {
    case "GetItemCommand":
      return per * blocks(itemSize(output?.Item));
    case "QueryCommand":
    case "ScanCommand":
      return per * blocks((output?.Items ?? []).reduce((n, i) => n + itemSize(i), 0));
    case "BatchGetItemCommand": {
      const responses = (output?.Responses ?? {}) as Record<string, Item[]>;
      return Object.entries(responses).reduce((n, [table, items]) => {
        const keys = input.RequestItems?.[table] as { ConsistentRead?: boolean } | undefined;
        const unit = keys?.ConsistentRead ? 1 : 0.5;
        return n + items.reduce((m, i) => m + unit * blocks(itemSize(i)), 0);
      }, 0);
    }
    case "TransactGetItemsCommand":
      return ((output?.Responses ?? []) as Array<{ Item?: Item }>).reduce(
        (n, r) => n + 2 * blocks(itemSize(r.Item)),
        0,
      );
    default:
      return 0;
  }
}

function actionSize(a: Action): number {
  if (a.Put) return itemSize(a.Put.Item);
  if (a.Update) return itemSize(a.Update.Key) + itemSize(a.Update.ExpressionAttributeValues);
  return itemSize(a.Delete?.Key ?? a.ConditionCheck?.Key);
}

/** Whole KB, at least 1: a write unit covers 1 KB. */
const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));
/** Whole 4 KB blocks, at least 1: a read unit covers 4 KB. */
const blocks = (bytes: number) => Math.max(1, Math.ceil(bytes / (4 * KB)));

/** DynamoDB's item size: attribute names plus values (strings and binary by length, numbers ~1 byte per 2 digits). */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((n, [name, v]) => n + utf8(name) + valueSize(v), 0);
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, "").length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");
