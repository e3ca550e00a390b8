import type { MemberView } from "../core/cluster-view.js";
import { failedPrecondition, invalidArgument, notFound } from "../core/errors.js";
import type { Coordinator, Member } from "../core/ports/coordinator.js";

/**
 * PauseWorker and ResumeWorker: check the id against the live members, then
 * set or clear the worker's durable pause key. The worker itself watches its
 * key (`src/worker/pause.ts`) and stops or restarts receiving.
 */
export function createWorkerPauseCommands(deps: {
  coordinator: Coordinator;
  /** The member as GetCluster shows it (in-flight count, pause). */
  describe: (member: Member) => Promise<MemberView>;
}) {
  const { coordinator } = deps;

  /** The live worker with `id`; FailedPrecondition for a scheduler's id, else undefined. */
  async function liveWorker(id: string): Promise<Member | undefined> {
    if (id === "") throw invalidArgument("worker_id", "required");
    const [workers, schedulers] = await Promise.all([
      coordinator.members("worker"),
      coordinator.members("scheduler"),
    ]);
    const worker = workers.find((m) => m.id === id);
    if (worker) return worker;
    if (schedulers.some((m) => m.id === id)) {
      throw failedPrecondition(`worker_id: ${id} is a scheduler node, not a worker`);
    }
    return undefined;
  }

  return {
    async pause(id: string): Promise<MemberView> {
      const worker = await liveWorker(id);
      if (!worker) throw notFound(`worker_id: live worker ${id}`);
      await coordinator.setWorkerPaused(id, true);
      return deps.describe(worker);
    },

    async resume(id: string): Promise<MemberView | undefined> {
      const worker = await liveWorker(id);
      if (!worker && !(await coordinator.pausedWorkers()).includes(id)) {
        throw notFound(`worker_id: live or paused worker ${id}`);
      }
      await coordinator.setWorkerPaused(id, false);
      return worker ? deps.describe(worker) : undefined;
    },
  };
}
