import { describe, expect, it } from "vitest";
import { failoverScenario } from "../../loadtest/failover.js";
import { testBackends } from "../support/backends.js";

// What this machine (2 shared cores, DynamoDB Local's ceiling of a few hundred
// conditional writes/s) sustains with 3 writes per fire beside 8 node
// processes: 25 schedules firing every second. The faults fall at fixed
// fractions of the window: in 40 s (the bench's default is 60) they come at
// 6, 12, 16, 22–26 and 30 s, so the pause still outlasts the 2 s lease twice
// over and the killed worker's runs are re-queued inside the window.
const JOBS = Number(process.env.CHRONORING_FAILOVER_JOBS ?? 25);
const DURATION_S = Number(process.env.CHRONORING_FAILOVER_SECONDS ?? 40);

describe("cluster failover", () => {
  it(
    `fires ${JOBS} every-second schedules exactly once for ${DURATION_S} s while the leader, a node and a worker are killed, a node is paused past its lease and nodes join`,
    async () => {
      const report = await failoverScenario(testBackends(), {
        jobs: JOBS,
        durationS: DURATION_S,
        partitions: 32,
        // Long enough that a worker always has runs in flight when it is killed.
        callMs: 400,
        log: (line) => console.log(`[failover] ${line}`),
      });
      console.log(`[failover] ${JSON.stringify(report)}`);
      expect(report.kills).toHaveLength(6);
      expect(report.missed, `missed runs, e.g. ${report.missed_examples.join(", ")}`).toBe(0);
      expect(report.duplicates).toBe(0);
      expect(report.duplicate_side_effects).toBe(0);
      expect(report.requeued).toBeGreaterThan(0);
      expect(report.requeued_unfinished).toBe(0);
      expect(report.side_effect_calls_unparsed).toBe(0);
      expect(report.leader_kill_to_first_fire_ms).not.toBeNull();
      // A run held by a killed node is sent by the new owner's sweep about a
      // start timeout (4 s here) after its time. While the queue has a backlog
      // the sweep waits instead (the run is most likely among the waiting
      // messages), so a run whose message a killed worker had received waits
      // for the backlog to clear: 33 s once, in a CI run where every process
      // kept losing its 2 s etcd session. Starvation shows as a wait for a
      // backstop (the poll's is 120 s).
      expect(report.lateness_ms.max, `latest: ${report.latest_runs.join(", ")}`).toBeLessThan(
        60_000,
      );
    },
    (DURATION_S + 150) * 1000,
  );
});
