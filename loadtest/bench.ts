import { startBackends } from "../deploy/local/backends.js";
import { backfillBench } from "./backfill.js";
import { burstBench } from "./burst.js";
import { failoverScenario } from "./failover.js";
import { fireBench } from "./fire.js";
import { startOwnedBackends } from "./harness/backends.js";
import { idleBench } from "./idle.js";
import { importBench } from "./import.js";
import { OUTAGES, type OutageName, outageScenario } from "./outages.js";
import { partitionScenarios, SCENARIOS, type ScenarioName } from "./partitions.js";
import { builtLaunch, scaleBench } from "./scale.js";
import { skewScenario } from "./skew.js";
import { tenantsScenario } from "./tenants.js";
import { windowBench } from "./window.js";

/** `--priority HIGH|MEDIUM|LOW`. */
function priorityFlag(value: string): "HIGH" | "MEDIUM" | "LOW" {
  if (value === "HIGH" || value === "MEDIUM" || value === "LOW") return value;
  throw new Error("--priority must be HIGH, MEDIUM or LOW");
}

/**
 * `--backstops POLL_S,SWEEP_S`: shorter poll and sweep backstops, so that the
 * idle window (their least common multiple) fits a short run.
 */
function backstopSettings(value: string): Record<string, string> {
  const [poll, sweep] = value.split(",").map(Number);
  if (!(poll! > 0 && sweep! > 0)) throw new Error("--backstops takes POLL_S,SWEEP_S, e.g. 30,60");
  return {
    CHRONORING_POLL_BACKSTOP_MS: String(poll! * 1000),
    CHRONORING_SWEEP_BACKSTOP_MS: String(sweep! * 1000),
  };
}

/**
 * `npm run bench -- <scenario> [flags]`. Prints progress on stderr and, as the
 * last line on stdout, one JSON object with the figures.
 */
async function main(): Promise<void> {
  const [scenario, ...rest] = process.argv.slice(2);
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    // `--name=value`: a value that itself starts with dashes (`--node-options=--max-semi-space-size=2`).
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined || value.startsWith("--")) flags.set(arg.slice(2), "true");
    else {
      flags.set(arg.slice(2), value);
      i++;
    }
  }
  const int = (name: string, fallback: number) => {
    const v = Number(flags.get(name) ?? fallback);
    if (!Number.isSafeInteger(v) || v < 1)
      throw new Error(`--${name} must be a positive whole number`);
    return v;
  };
  /** A whole number, 0 allowed (`--warmup 0`: none). */
  const count = (name: string, fallback: number) => {
    const v = Number(flags.get(name) ?? fallback);
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a whole number`);
    return v;
  };
  /** A positive number, fractions allowed (`--minutes 0.5`). */
  const positive = (name: string, fallback: number) => {
    const v = Number(flags.get(name) ?? fallback);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  switch (scenario) {
    case "fire": {
      const result = await fireBench(
        {
          jobs: int("jobs", 1000),
          spread: flags.get("spread") === "true",
          workers: int("workers", 1),
          partitions: int("partitions", 256),
          policies: flags.get("policies") === "true",
          failing: flags.get("failing") === "true",
          recurring: flags.get("recurring") === "true",
          warmup: count("warmup", 2000),
          ...(flags.has("every")
            ? { everyMs: int("every", 60) * 1000, rounds: int("rounds", 5) }
            : {}),
        },
        log,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      break;
    }
    case "burst": {
      const result = await burstBench(
        {
          jobs: int("jobs", 20_000),
          high: int("high", 50),
          laterS: int("later", 10),
          warmup: count("warmup", 2000),
          workers: int("workers", 1),
          partitions: int("partitions", 256),
        },
        log,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      break;
    }
    case "import": {
      const result = await importBench(
        {
          schedules: int("schedules", 100_000),
          partitions: int("partitions", 256),
          ceilingItems: int("ceiling-items", 100_000),
          ceilingConcurrency: int("ceiling-concurrency", 32),
        },
        log,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      break;
    }
    case "scale": {
      const backends = await startBackends({ warm: true, log });
      try {
        const result = await scaleBench(backends, {
          schedules: int("schedules", 1_000_000),
          compare: flags.get("compare") === "0" ? 0 : int("compare", 1000),
          fireS: positive("minutes", 5) * 60,
          ...(flags.has("idle-minutes") ? { idleS: positive("idle-minutes", 10) * 60 } : {}),
          ...(flags.has("rate") ? { ratePerS: positive("rate", 1) } : {}),
          ...(flags.get("built") === "true" ? { launch: builtLaunch } : {}),
          ...(flags.get("smoothing") === "off" ? { smoothing: false } : {}),
          ...(flags.get("bracket") === "true" ? { bracket: true } : {}),
          settings: {
            ...(flags.has("node-options") ? { NODE_OPTIONS: flags.get("node-options")! } : {}),
            ...(flags.has("backstops") ? backstopSettings(flags.get("backstops")!) : {}),
          },
          log,
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        await backends.stop();
      }
      break;
    }
    case "idle": {
      const result = await idleBench({
        partitions: int("partitions", 256),
        hours: int("hours", 2),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      break;
    }
    case "window": {
      const result = await windowBench(
        {
          jobs: int("jobs", 3000),
          windowS: int("window", 60),
          workers: int("workers", 1),
          partitions: int("partitions", 256),
        },
        log,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      break;
    }
    case "failover": {
      const built = flags.get("built") === "true";
      const backends = await startBackends({ warm: true, log });
      try {
        const result = await failoverScenario(backends, {
          jobs: int("jobs", 25),
          durationS: int("duration", 60),
          partitions: int("partitions", 32),
          callMs: int("call-ms", 400),
          ...(flags.has("priority") ? { priority: priorityFlag(flags.get("priority")!) } : {}),
          ...(built ? { launch: builtLaunch } : {}),
          faults: flags.get("no-faults") !== "true",
          log,
        });
        process.stdout.write(`${JSON.stringify({ bench: "failover", built, ...result })}\n`);
      } finally {
        await backends.stop();
      }
      break;
    }
    case "outages": {
      const only = (flags.get("only") ?? OUTAGES.join(",")).split(",") as OutageName[];
      for (const name of only) {
        if (!OUTAGES.includes(name)) throw new Error(`--only: unknown outage ${name}`);
      }
      const backends = await startOwnedBackends(log);
      const results = [];
      try {
        for (const name of only) {
          const result = await outageScenario(name, backends, {
            jobs: int("jobs", 10),
            faultAtS: int("fault-at", 10),
            faultS: Number(flags.get("fault-s") ?? 0),
            tailS: int("tail", 30),
            schedulers: int("schedulers", 2),
            workers: int("workers", 1),
            log,
          });
          log(JSON.stringify(result));
          results.push(result);
        }
      } finally {
        await backends.stop();
      }
      process.stdout.write(`${JSON.stringify({ bench: "outages", scenarios: results })}\n`);
      break;
    }
    case "backfill": {
      const backends = await startBackends({ warm: true, log });
      try {
        const result = await backfillBench(backends, {
          live: int("live", 20),
          durationS: int("duration", 30),
          times: int("times", 2000),
          maxConcurrent: int("max-concurrent", 100),
          runMs: int("run-ms", 200),
          workerShare: int("worker-share", 25),
          log,
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        await backends.stop();
      }
      break;
    }
    case "skew": {
      const backends = await startBackends({ warm: true, log });
      try {
        const result = await skewScenario(backends, {
          jobs: int("jobs", 10),
          durationS: int("duration", 60),
          skewS: int("skew", 2),
          log,
        });
        process.stdout.write(`${JSON.stringify({ bench: "skew", ...result })}\n`);
      } finally {
        await backends.stop();
      }
      break;
    }
    case "tenants": {
      const backends = await startBackends({ warm: true, log });
      try {
        const result = await tenantsScenario(backends, {
          aJobs: int("a-jobs", 3000),
          bJobs: int("b-jobs", 30),
          callMs: int("call-ms", 100),
          createConcurrency: int("create-concurrency", 32),
          createMsPerJob: int("create-ms", 5),
          aMaxConcurrent: flags.get("a-max-concurrent") === "0" ? 0 : int("a-max-concurrent", 8),
          log,
        });
        process.stdout.write(`${JSON.stringify({ bench: "tenants", ...result })}\n`);
      } finally {
        await backends.stop();
      }
      break;
    }
    case "partitions": {
      const only = flags.get("only")?.split(",") ?? [...SCENARIOS];
      const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
      if (unknown.length) throw new Error(`--only: unknown ${unknown}; known: ${SCENARIOS}`);
      const backends = await startBackends({ warm: true, log });
      try {
        const rows = await partitionScenarios(backends, {
          jobs: int("jobs", 10),
          scenarios: only as ScenarioName[],
          slotS: int("slot", 30),
          faultS: int("fault", 10),
          partitions: int("partitions", 32),
          callMs: int("call-ms", 400),
          log,
        });
        for (const r of rows) {
          log(
            `${r.scenario.padEnd(22)} missed ${r.missed} dup ${r.duplicates} p50/p99/max sent ${fig(r.lateness_ms)} started ${fig(r.start_lateness_ms)} called ${fig(r.call_lateness_ms)} ms released ${r.victim_released_ms ?? "-"} rejoined ${r.victim_rejoined_ms ?? "-"}`,
          );
        }
        process.stdout.write(`${JSON.stringify({ bench: "partitions", scenarios: rows })}\n`);
      } finally {
        await backends.stop();
      }
      break;
    }
    default:
      throw new Error(
        `unknown scenario "${scenario ?? ""}"; known: fire, burst, import, idle, scale, window, failover, outages, skew, tenants, partitions, backfill`,
      );
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

/** p50/p99/max of a lateness summary. */
function fig(s: { p50: number; p99: number; max: number }): string {
  return `${s.p50}/${s.p99}/${s.max}`;
}
