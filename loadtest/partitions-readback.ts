import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from "@aws-sdk/client-dynamodb";
import { summary } from "./stats.js";

interface Row {
  jobId: string;
  scheduled: number;
  attempt: number;
  st: string;
  queued?: number;
}

export interface SlotFigures {
  expected_runs: number;
  missed: number;
  duplicates: number;
  duplicate_side_effects: number;
  /** Sent (queued) minus scheduled time of first attempts, ms. */
  lateness_ms: { p50: number; p99: number; max: number };
  missed_examples: string[];
}

/**
 * Reads back the executions of every-second schedules (one per job in `ids`)
 * over [from, to): waits up to `settleMs` for them to finish, then counts per
 * slot (each [start, end) of `slots`) the runs missed (no SUCCEEDED attempt),
 * duplicated (more than one), side effects called twice by one attempt, and
 * the lateness of first attempts.
 */
export async function readBack(options: {
  dynamodb: string;
  region: string;
  table: string;
  ids: string[];
  slots: Array<{ start: number; end: number }>;
  effects: Map<string, number>;
  settleMs: number;
}): Promise<SlotFigures[]> {
  const dynamo = new DynamoDBClient({
    endpoint: options.dynamodb,
    region: options.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const from = Math.min(...options.slots.map((s) => s.start));
  const to = Math.max(...options.slots.map((s) => s.end));
  const scan = async (): Promise<Row[]> => {
    const rows: Row[] = [];
    let key: ScanCommandOutput["LastEvaluatedKey"];
    do {
      const out: ScanCommandOutput = await dynamo.send(
        new ScanCommand({ TableName: options.table, ExclusiveStartKey: key }),
      );
      for (const item of out.Items ?? []) {
        rows.push({
          jobId: item.job_id!.S!,
          scheduled: Number(item.sched_ms!.N),
          attempt: Number(item.attempt!.N),
          st: item.st!.S!,
          ...(item.queued?.N ? { queued: Number(item.queued.N) } : {}),
        });
      }
      key = out.LastEvaluatedKey;
    } while (key);
    return rows.filter((r) => r.scheduled >= from && r.scheduled < to);
  };
  try {
    const expected = (options.ids.length * (to - from)) / 1000;
    let rows = await scan();
    const settleUntil = Date.now() + options.settleMs;
    while (Date.now() < settleUntil) {
      const unsettled = rows.some((r) => r.st === "RUNNING" || r.st === "QUEUED");
      const succeeded = new Set(
        rows.filter((r) => r.st === "SUCCEEDED").map((r) => `${r.jobId}:${r.scheduled}`),
      );
      if (!unsettled && succeeded.size >= expected) break;
      await sleep(1000);
      rows = await scan();
    }
    const byRun = new Map<string, Row[]>();
    for (const r of rows) {
      const key = `${r.jobId}:${r.scheduled}`;
      byRun.set(key, [...(byRun.get(key) ?? []), r]);
    }
    return options.slots.map(({ start, end }) => {
      const figures: SlotFigures = {
        expected_runs: (options.ids.length * (end - start)) / 1000,
        missed: 0,
        duplicates: 0,
        duplicate_side_effects: 0,
        lateness_ms: { p50: 0, p99: 0, max: 0 },
        missed_examples: [],
      };
      const lateness: number[] = [];
      for (const id of options.ids) {
        for (let t = start; t < end; t += 1000) {
          const attempts = byRun.get(`${id}:${t}`) ?? [];
          const ok = attempts.filter((a) => a.st === "SUCCEEDED").length;
          if (ok === 0) {
            figures.missed++;
            if (figures.missed_examples.length < 5) {
              const states = attempts.map((a) => `${a.attempt}:${a.st}`).join(",") || "none";
              figures.missed_examples.push(`${id}:${t} (${states})`);
            }
          }
          figures.duplicates += Math.max(0, ok - 1);
          for (const a of attempts) {
            const calls = options.effects.get(`${id}:${t}:${a.attempt}`) ?? 0;
            figures.duplicate_side_effects += Math.max(0, calls - 1);
            if (a.attempt === 1 && a.queued !== undefined) lateness.push(a.queued - t);
          }
        }
      }
      figures.lateness_ms = summary(lateness);
      return figures;
    });
  } finally {
    dynamo.destroy();
  }
}
