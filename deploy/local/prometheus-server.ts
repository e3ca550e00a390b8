import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, spawnManaged } from "./process.js";

export interface PrometheusLaunch {
  /** Holds prometheus.yml and the TSDB (created if missing). */
  dir: string;
  port: number;
  /** `host:port` of each Chronoring `/metrics` to scrape. */
  targets: string[];
  scrapeIntervalS: number;
  /** Absolute paths of rule files to load (the alert rules). */
  ruleFiles?: string[];
  logFile: string;
  tempDir?: string;
}

/**
 * Starts Debian's `prometheus` on 127.0.0.1, scraping the given targets
 * (job `chronoring`) every `scrapeIntervalS` and evaluating the rule files.
 */
export async function launchPrometheus(launch: PrometheusLaunch): Promise<ManagedProcess> {
  mkdirSync(join(launch.dir, "data"), { recursive: true, mode: 0o700 });
  const configFile = join(launch.dir, "prometheus.yml");
  // JSON is YAML: no YAML writer needed.
  const config = {
    global: {
      scrape_interval: `${launch.scrapeIntervalS}s`,
      evaluation_interval: `${launch.scrapeIntervalS}s`,
    },
    rule_files: launch.ruleFiles ?? [],
    scrape_configs: [{ job_name: "chronoring", static_configs: [{ targets: launch.targets }] }],
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return spawnManaged({
    name: "prometheus",
    command: "prometheus",
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(launch.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${launch.port}`,
    ],
    logFile: launch.logFile,
    tempDir: launch.tempDir,
  });
}

/** Ready once Prometheus has loaded its config and TSDB. */
export async function prometheusIsReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}
