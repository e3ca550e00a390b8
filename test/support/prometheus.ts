import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../deploy/local/backends.js";
import { logTail } from "../../deploy/local/process.js";
import { launchPrometheus, prometheusIsReady } from "../../deploy/local/prometheus-server.js";
import { waitFor } from "./wait.js";

/** One sample of an instant query: its labels and value ("NaN" stays a string here). */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An alerting rule as Prometheus reports it after evaluating it. */
export interface RuleState {
  name: string;
  query: string;
  health: "ok" | "err" | "unknown";
  lastError?: string;
}

export interface TestPrometheus {
  url: string;
  /** Runs an instant query through `/api/v1/query`; throws with Prometheus' error if it fails. */
  query(expr: string): Promise<Sample[]>;
  /** The alerting rules and their last evaluation (`/api/v1/rules`). */
  alertRules(): Promise<RuleState[]>;
  log(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian's package) for one test: a free port, a temp data
 * directory, scraping `targets` every `scrapeIntervalS` and evaluating `ruleFiles`.
 */
export async function startPrometheus(options: {
  targets: string[];
  scrapeIntervalS: number;
  ruleFiles?: string[];
}): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "chronoring-prometheus-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, "prometheus.log");
  const process = await launchPrometheus({ dir, port, logFile, tempDir: dir, ...options });
  try {
    await waitFor("Prometheus to be ready", async () => {
      if (process.hasExited()) throw new Error(`prometheus exited:\n${logTail(logFile)}`);
      return (await prometheusIsReady(url).catch(() => false)) || undefined;
    });
  } catch (err) {
    await process.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  return {
    url,
    async query(expr) {
      const data = await api<{ resultType: string; result: Sample[] | [number, string] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType === "scalar") {
        return [{ metric: {}, value: data.result as [number, string] }];
      }
      return data.result as Sample[];
    },
    async alertRules() {
      const data = await api<{ groups: Array<{ rules: RuleState[] }> }>("/api/v1/rules?type=alert");
      return data.groups.flatMap((g) => g.rules);
    },
    log: () => logTail(logFile),
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
