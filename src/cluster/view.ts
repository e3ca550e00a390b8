import type { ClusterQueries, MemberView } from "../core/cluster-view.js";
import { failedPrecondition, invalidArgument } from "../core/errors.js";
import type { Coordinator, Member } from "../core/ports/coordinator.js";
import type { ExecutionStore } from "../core/ports/execution-store.js";
import { ALL_TENANTS } from "../core/tenant.js";
import { createWorkerPauseCommands } from "./worker-pause.js";

/** Reads the cluster's state from etcd (members, leader, assignment) and the store (in-flight runs). */
export function createClusterQueries(deps: {
  coordinator: Coordinator | undefined;
  executions: ExecutionStore;
}): ClusterQueries {
  const { coordinator, executions } = deps;
  function need(): Coordinator {
    if (!coordinator) {
      throw failedPrecondition("the service runs standalone (CHRONORING_ETCD_ENDPOINTS is empty)");
    }
    return coordinator;
  }

  async function describeWorker(m: Member, paused: ReadonlySet<string>): Promise<MemberView> {
    // A count across tenants: the worker's load, no tenant's data.
    const running = await executions.listExecutions(ALL_TENANTS, {
      workerId: m.id,
      status: "RUNNING",
      pageSize: 500,
    });
    return { ...m, partitionsOwned: 0, inFlight: running.items.length, paused: paused.has(m.id) };
  }

  const pauses = coordinator
    ? createWorkerPauseCommands({
        coordinator,
        describe: async (m) => describeWorker(m, new Set(await coordinator.pausedWorkers())),
      })
    : undefined;

  return {
    async view() {
      const c = need();
      const [schedulers, workers, leaderId, assignment, paused] = await Promise.all([
        c.members("scheduler"),
        c.members("worker"),
        c.leader(),
        c.readAssignment(),
        c.pausedWorkers().then((ids) => new Set(ids)),
      ]);
      const owned = new Map<string, number>();
      for (const owner of assignment?.owners ?? []) owned.set(owner, (owned.get(owner) ?? 0) + 1);
      const members: MemberView[] = [
        ...schedulers.map((m) => ({ ...m, partitionsOwned: owned.get(m.id) ?? 0, inFlight: 0 })),
        ...(await Promise.all(workers.map((m) => describeWorker(m, paused)))),
      ];
      return {
        members,
        ...(leaderId ? { leaderId } : {}),
        epoch: assignment?.epoch ?? 0,
        partitions: (assignment?.owners ?? []).map((nodeId, partition) => ({
          partition,
          nodeId,
          epoch: assignment?.since[partition] ?? 0,
        })),
      };
    },

    async workerRuns(tenant, workerId, pageSize, pageToken) {
      need();
      if (!workerId) throw invalidArgument("worker_id", "required");
      return executions.listExecutions(tenant, {
        workerId,
        status: "RUNNING",
        pageSize,
        ...(pageToken ? { pageToken } : {}),
      });
    },

    async pauseWorker(workerId) {
      need();
      return pauses!.pause(workerId);
    },

    async resumeWorker(workerId) {
      need();
      return pauses!.resume(workerId);
    },
  };
}
