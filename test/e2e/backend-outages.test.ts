import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OwnedBackends, startOwnedBackends } from "../../loadtest/harness/backends.js";
import { startEffectServer } from "../../loadtest/harness/effect-server.js";
import { createEverySecondJobs, runFaults } from "../../loadtest/harness/schedule.js";
import { createStack } from "../../loadtest/harness/stack.js";
import { judge, settleExecutions } from "../../loadtest/harness/verdict.js";

// The short version of `npm run bench -- outages`: this file owns its
// backends (the shared ones of the other tests are never faulted).
const JOBS = 4;
const log = (line: string) => console.log(`[outages] ${line}`);

describe("backend outages", () => {
  let backends: OwnedBackends;
  beforeAll(async () => {
    backends = await startOwnedBackends(log, { warmMs: 2000 });
  }, 120_000);
  afterAll(async () => {
    await backends?.stop();
  });

  it("fires every-second schedules exactly once, and no process dies, while DynamoDB Local is frozen 10 s and the SQS emulator is restarted empty", async () => {
    const prefix = `e2eou${Date.now().toString(36)}-`;
    const effect = await startEffectServer({ callMs: 50 });
    const stack = createStack({
      backends: backends.endpoints,
      prefix,
      log,
      settings: {
        CHRONORING_AUTH_MODE: "off",
        CHRONORING_TARGET_ALLOW: "127.0.0.1/32",
        CHRONORING_LOG_LEVEL: "warn",
        CHRONORING_PARTITIONS: "16",
        // Shorter than the defaults (30 s, 10 s) so that the runs the empty
        // queue lost are sent again within the test.
        CHRONORING_START_TIMEOUT_MS: "5000",
        CHRONORING_SWEEP_INTERVAL_MS: "2000",
      },
    });
    try {
      await stack.api();
      await Promise.all([stack.scheduler("s1"), stack.scheduler("s2"), stack.worker("w1")]);
      await stack.waitForCluster(2);
      const { ids, window } = await createEverySecondJobs(
        stack,
        { jobs: JOBS, durationS: 30, url: effect.url, name: "outage" },
        log,
      );
      let apiAnswer = "";
      await runFaults(
        window,
        [
          {
            atS: 3,
            what: "SIGSTOP DynamoDB Local",
            act: async () => {
              backends.dynamodb.signal("SIGSTOP");
              void stack
                .clients()
                .jobs.getJob({ id: ids[0]! })
                .then(
                  () => {
                    apiAnswer = "answered";
                  },
                  (e: unknown) => {
                    apiAnswer = String(e);
                  },
                );
            },
          },
          {
            atS: 13,
            what: "SIGCONT DynamoDB Local",
            act: async () => backends.dynamodb.signal("SIGCONT"),
          },
          {
            // Runs are received within milliseconds of being sent: the worker
            // is stopped first, so that the queue holds 3 s of runs when it dies.
            atS: 15,
            what: "SIGSTOP the worker (a backlog in the queue)",
            act: async () => stack.signal("w1", "SIGSTOP"),
          },
          {
            atS: 18,
            what: "SQS emulator killed and restarted empty; SIGCONT the worker",
            act: async () => {
              await backends.sqs.kill();
              await backends.sqs.restart();
              stack.signal("w1", "SIGCONT");
            },
          },
        ],
        log,
      );
      await sleep(Math.max(0, window.endMs - Date.now()));
      const rows = await settleExecutions(backends.endpoints, prefix, window, ids.length);
      const verdict = judge(rows, ids, window, effect.effects);
      log(JSON.stringify({ ...verdict, api_call_during_freeze: apiAnswer }));
      expect(stack.exited()).toEqual([]);
      expect(verdict.missed, `missed, e.g. ${verdict.missed_examples.join(", ")}`).toBe(0);
      expect(verdict.duplicates).toBe(0);
      expect(verdict.duplicate_side_effects).toBe(0);
      // A generous bound: a run waits out the freeze, or a start timeout and a sweep.
      expect(verdict.start_lateness_ms.max).toBeLessThan(45_000);
    } finally {
      await stack.stop();
      await effect.close();
    }
  }, 150_000);
});
