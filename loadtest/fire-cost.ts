import { round } from "./stats.js";

/** AWS list prices, dollars per million: DynamoDB on demand (write, read request units) and SQS requests. */
export const PRICE_PER_MILLION = { wru: 0.625, rru: 0.125, sqs: 0.4 };

/**
 * SQS commands that watch the queue rather than carry runs: the queue-depth
 * gauge reads the attributes of each queue on every scrape, which the bench
 * does twice a second (a deployment every 15–60 s). Reported apart.
 */
const MONITORING = new Set(["GetQueueAttributesCommand"]);

/** Sums of a labelled counter over the pages, by the value of label `by`, for series matching `where`. */
export function byLabel(
  pages: string[],
  name: string,
  by: string,
  where: Record<string, string> = {},
): Map<string, number> {
  const out = new Map<string, number>();
  for (const page of pages) {
    for (const line of page.split("\n")) {
      if (!line.startsWith(`${name}{`)) continue;
      const labels = Object.fromEntries(
        [...line.slice(name.length + 1, line.indexOf("}")).matchAll(/(\w+)="([^"]*)"/g)].map(
          (m) => [m[1]!, m[2]!],
        ),
      );
      if (!Object.entries(where).every(([k, v]) => labels[k] === v)) continue;
      const key = labels[by] ?? "";
      out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
    }
  }
  return out;
}

/** `after` − `before`, key by key. */
export function delta(
  before: Map<string, number>,
  after: Map<string, number>,
): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
}

const total = (m: Map<string, number>, skip: Set<string> = new Set()) =>
  [...m].reduce((n, [k, v]) => (skip.has(k) ? n : n + v), 0);

const perFire = (m: Map<string, number>, fires: number) =>
  Object.fromEntries([...m].filter(([, v]) => v > 0).map(([k, v]) => [k, round(v / fires, 3)]));

/**
 * What the fires cost, from the Chronoring processes' counters between two
 * scrapes: DynamoDB write and read request units and SQS requests per fire
 * (by command too), and the list price of a million fires.
 */
export function costPerFire(before: string[], after: string[], fires: number) {
  const units = (kind: string) =>
    delta(
      byLabel(before, "chronoring_store_request_units_total", "command", { kind }),
      byLabel(after, "chronoring_store_request_units_total", "command", { kind }),
    );
  const wru = units("write");
  const rru = units("read");
  const sqs = delta(
    byLabel(before, "chronoring_queue_requests_total", "command"),
    byLabel(after, "chronoring_queue_requests_total", "command"),
  );
  const w = total(wru) / fires;
  const r = total(rru) / fires;
  const q = total(sqs, MONITORING) / fires;
  return {
    dynamodb_wru_per_fire: round(w, 3),
    dynamodb_rru_per_fire: round(r, 3),
    sqs_requests_per_fire: round(q, 3),
    dollars_per_million_fires: round(
      w * PRICE_PER_MILLION.wru + r * PRICE_PER_MILLION.rru + q * PRICE_PER_MILLION.sqs,
      3,
    ),
    cost_by_command: {
      wru: perFire(wru, fires),
      rru: perFire(rru, fires),
      sqs: perFire(sqs, fires),
    },
  };
}
