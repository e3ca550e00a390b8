import pino, { type Logger } from "pino";
import { type Clock, systemClock } from "../../core/clock.js";
import { failedPrecondition, invalidArgument } from "../../core/errors.js";
import type { Coordinator, Leadership, Session } from "../../core/ports/coordinator.js";
import { publishAssignment, readAssignment, watchAssignment } from "./assignment-store.js";
import { createEtcdClient } from "./client.js";
import { campaign, currentLeader, EtcdLeadership } from "./election.js";
import { listMembers, registerMember, watchMembers } from "./membership.js";
import { EtcdSession, openEtcdSession } from "./session.js";
import { createWakeHints } from "./wake-hints.js";
import type { RangeWatch } from "./watch.js";
import { createWorkerPauses } from "./worker-pause.js";
import { createWorkerRegistry } from "./worker-registry.js";

export interface EtcdCoordinatorOptions {
  endpoints: string[];
  /** Key namespace, e.g. `/chronoring/<cluster>/`; every key lives under it. */
  prefix: string;
  logger?: Logger;
  clock?: Clock;
  /** Deadline of each unary etcd call (etcd3 ignores dialTimeout), ms. Default 5000. */
  requestTimeoutMs?: number;
  /**
   * Test hook: runs between a watch's snapshot read and the watch that
   * continues it (members and assignment), e.g. to compact etcd there.
   */
  afterWatchSnapshot?: (revision: number) => Promise<void>;
}

/**
 * The `Coordinator` port on etcd: sessions on leases with their own
 * deadline, membership and election keys on those leases, the assignment
 * written by a transaction fenced on the leader's key. See README.md.
 */
export function createEtcdCoordinator(options: EtcdCoordinatorOptions): Coordinator {
  if (options.prefix === "") throw invalidArgument("prefix", "must not be empty");
  const client = createEtcdClient(options.endpoints, options.requestTimeoutMs ?? 5_000);
  const ns = client.namespace(options.prefix);
  const logger = (options.logger ?? pino({ enabled: false })).child({ component: "etcd" });
  const clock = options.clock ?? systemClock;
  const afterSnapshot = options.afterWatchSnapshot;
  const sessions = new Set<EtcdSession>();
  const leaderships = new Set<EtcdLeadership>();
  const watches = new Set<RangeWatch>();
  const workers = createWorkerRegistry(ns);
  const watchDeps = { ns, logger, clock, ...(afterSnapshot ? { afterSnapshot } : {}) };
  const pauses = createWorkerPauses(watchDeps);
  const wakes = createWakeHints(watchDeps);
  let closed = false;

  const open = () => {
    if (closed) throw failedPrecondition("etcd coordinator is closed");
  };
  const own = (session: Session): EtcdSession => {
    if (!(session instanceof EtcdSession)) {
      throw invalidArgument("session", "not a session of this coordinator");
    }
    return session;
  };
  const tracked = (watch: RangeWatch): (() => Promise<void>) => {
    watches.add(watch);
    return async () => {
      watches.delete(watch);
      await watch.stop();
    };
  };

  return {
    async openSession(ttlMs) {
      open();
      const session = await openEtcdSession({ client, clock, logger }, ttlMs);
      sessions.add(session);
      session.onEnded(() => sessions.delete(session));
      return session;
    },

    async register(session, member) {
      open();
      await registerMember({ ns, logger }, own(session), member);
    },

    members: (role) => listMembers({ ns, logger }, role),

    async watchMembers(role, onChange) {
      open();
      return tracked(await watchMembers({ ns, logger, afterSnapshot, clock }, role, onChange));
    },

    async campaign(session, candidateId, signal) {
      open();
      return campaign(
        { ns, logger, active: leaderships, clock },
        own(session),
        candidateId,
        signal,
      );
    },

    leader: () => currentLeader(ns),

    async publishAssignment(leadership: Leadership, owners, since, base) {
      if (!(leadership instanceof EtcdLeadership)) {
        throw invalidArgument("leadership", "not a leadership of this coordinator");
      }
      return publishAssignment({ ns, logger }, leadership, owners, since, base);
    },

    readAssignment: () => readAssignment({ ns, logger }),

    async watchAssignment(onChange) {
      open();
      return tracked(await watchAssignment({ ns, logger, afterSnapshot, clock }, onChange));
    },

    rememberWorker: (id) => workers.remember(id),
    knownWorkers: () => workers.known(),
    forgetWorker: (id) => workers.forget(id),
    setWorkerPaused: (id, paused) => pauses.set(id, paused),
    pausedWorkers: () => pauses.list(),
    async watchWorkerPaused(id, onChange) {
      open();
      return tracked(await pauses.watch(id, onChange));
    },

    hintWake: (partition, nextRunMs) => wakes.hint(partition, nextRunMs),
    async watchWakes(onWake) {
      open();
      return tracked(await wakes.watch(onWake));
    },

    /** Stops every watch and timer, revokes open sessions (best effort), closes the client. */
    async close() {
      if (closed) return;
      closed = true;
      for (const leadership of [...leaderships]) leadership.end("coordinator closed");
      await Promise.all([...watches].map((watch) => watch.stop()));
      watches.clear();
      await Promise.all([...sessions].map((session) => session.close()));
      client.close();
    },
  };
}
