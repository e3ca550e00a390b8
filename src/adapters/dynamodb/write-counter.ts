import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

interface WriteInput {
  TransactItems?: Array<{ Put?: unknown; Update?: unknown; Delete?: unknown }>;
  RequestItems?: Record<string, unknown[]>;
}

/**
 * Counts DynamoDB item writes made through a client, by SDK middleware: one
 * per PutItem/UpdateItem/DeleteItem, one per Put/Update/Delete action of a
 * transaction (condition checks are not writes), one per BatchWriteItem
 * request. Counted when the call succeeds.
 */
export class WriteCounter {
  private total = 0;
  private readonly byCommand = new Map<string, number>();

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const writes = countWrites(context.commandName ?? "", args.input as WriteInput);
        if (writes > 0) {
          this.total += writes;
          const name = context.commandName ?? "unknown";
          this.byCommand.set(name, (this.byCommand.get(name) ?? 0) + writes);
        }
        return result;
      },
      { step: "initialize", name: "chronoringWriteCounter" },
    );
  }

  get count(): number {
    return this.total;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.byCommand);
  }

  reset(): void {
    this.total = 0;
    this.byCommand.clear();
  }
}

function countWrites(command: string, input: WriteInput): number {
  switch (command) {
    case "PutItemCommand":
    case "UpdateItemCommand":
    case "DeleteItemCommand":
      return 1;
    case "TransactWriteItemsCommand":
      return (input.TransactItems ?? []).filter((a) => a.Put || a.Update || a.Delete).length;
    case "BatchWriteItemCommand":
      return Object.values(input.RequestItems ?? {}).reduce((n, reqs) => n + reqs.length, 0);
    default:
      return 0;
  }
}
