import { byLabel, delta } from "../fire-cost.js";
import { round } from "../stats.js";

/** DynamoDB calls and request units per second of a window, from two scrapes of /metrics. */
export interface StoreCalls {
  /** Every call (`chronoring_store_requests_total`). */
  requests_per_s: number;
  /** Query calls: the due index, the recover index and the re-queued attempts index. */
  queries_per_s: number;
  /** Read request units (`chronoring_store_request_units_total{kind="read"}`): what reads are billed. */
  read_units_per_s: number;
  write_units_per_s: number;
  requests_by_command_per_s: Record<string, number>;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * What the processes whose pages are given asked of DynamoDB between the
 * `before` and `after` scrapes, per second of `seconds`: counted by SDK
 * middleware in those processes (`src/adapters/dynamodb/capacity-counter.ts`),
 * so the figures are the calls made, whatever the emulator's speed.
 */
export function storeCalls(before: string[], after: string[], seconds: number): StoreCalls {
  const change = (name: string, where: Record<string, string> = {}) =>
    delta(byLabel(before, name, "command", where), byLabel(after, name, "command", where));
  const calls = change("chronoring_store_requests_total");
  const reads = change("chronoring_store_request_units_total", { kind: "read" });
  const writes = change("chronoring_store_request_units_total", { kind: "write" });
  const per = (n: number) => round(n / Math.max(seconds, 0.001), 3);
  return {
    requests_per_s: per(sum(calls)),
    queries_per_s: per(calls.get("QueryCommand") ?? 0),
    read_units_per_s: per(sum(reads)),
    write_units_per_s: per(sum(writes)),
    requests_by_command_per_s: Object.fromEntries(
      [...calls].filter(([, n]) => n > 0).map(([command, n]) => [command, per(n)]),
    ),
  };
}
