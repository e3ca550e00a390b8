import type { Clock } from "../../core/clock.js";
import { failedPrecondition, invalidArgument } from "../../core/errors.js";
import type {
  Assignment,
  Coordinator,
  Leadership,
  Member,
  MemberRole,
  Session,
} from "../../core/ports/coordinator.js";
import { createMemoryElection } from "./election.js";
import { copy } from "./memory-db.js";
import { MemorySession } from "./session.js";

export interface MemoryCoordinator extends Coordinator {
  /** Sessions open now (tests expire one to stand for a lost lease). */
  sessions(): MemorySession[];
}

/**
 * The `Coordinator` port in one process: sessions, members, an election in
 * the order of campaigns, the assignment fenced on the leader's term, and
 * wake hints. A revision counter grows with every write, as etcd's does, so
 * epochs and terms grow the same way. Not shared between processes: for
 * tests and `--store memory`.
 */
export function createMemoryCoordinator(options: { clock: Clock }): MemoryCoordinator {
  let revision = 0;
  let closed = false;
  const sessions = new Map<string, MemorySession>();
  const members = new Map<string, { member: Member; session: string }>();
  const known = new Set<string>();
  const paused = new Set<string>();
  let assignment: Assignment | undefined;
  const memberWatchers = new Set<{ role: MemberRole; onChange: (m: Member[]) => void }>();
  const assignmentWatchers = new Set<(a: Assignment) => void>();
  const pauseWatchers = new Set<{ id: string; onChange: (paused: boolean) => void }>();
  const wakeWatchers = new Set<(partition: number, nextRunMs: number) => void>();
  const election = createMemoryElection({ nextRevision: () => ++revision });

  const open = () => {
    if (closed) throw failedPrecondition("memory coordinator is closed");
  };
  const own = (session: Session): MemorySession => {
    if (!(session instanceof MemorySession) || sessions.get(session.id) !== session) {
      throw invalidArgument("session", "not a session of this coordinator");
    }
    return session;
  };
  const list = (role: MemberRole) =>
    [...members.values()].filter((m) => m.member.role === role).map((m) => copy(m.member));
  /** Watchers hear of a change after the write returns, as from an etcd watch. */
  const later = (fn: () => void) => queueMicrotask(() => !closed && fn());
  const membersChanged = () =>
    later(() => {
      for (const w of memberWatchers) w.onChange(list(w.role));
    });

  function sessionEnded(session: MemorySession): void {
    sessions.delete(session.id);
    let changed = false;
    for (const [id, m] of members) {
      if (m.session === session.id) {
        members.delete(id);
        changed = true;
      }
    }
    if (changed) {
      revision++;
      membersChanged();
    }
    election.sessionEnded(session);
  }

  const stopper = <T>(set: Set<T>, item: T) => {
    set.add(item);
    return async () => {
      set.delete(item);
    };
  };

  return {
    async openSession(ttlMs) {
      open();
      const session = new MemorySession(++revision, ttlMs, options.clock, sessionEnded);
      sessions.set(session.id, session);
      return session;
    },

    async register(session, member) {
      open();
      const s = own(session);
      if (!s.isLive()) throw failedPrecondition("session is not live");
      members.set(`${member.role}/${member.id}`, { member: copy(member), session: s.id });
      revision++;
      membersChanged();
    },

    members: async (role) => list(role),

    async watchMembers(role, onChange) {
      open();
      onChange(list(role));
      return stopper(memberWatchers, { role, onChange });
    },

    async campaign(session, candidateId, signal) {
      open();
      return election.campaign(own(session), candidateId, signal);
    },

    leader: async () => election.leader(),

    async publishAssignment(leadership: Leadership, owners, since, base = 0) {
      if (owners.length !== since.length) {
        throw invalidArgument("since", "needs one entry per partition owner");
      }
      if (!election.holds(leadership)) throw failedPrecondition("leadership lost: not the leader");
      const epoch = base + ++revision;
      assignment = {
        epoch,
        owners: [...owners],
        since: since.map((s) => (s === 0 ? epoch : s)),
        ...(base > 0 ? { base } : {}),
      };
      const published = assignment;
      later(() => {
        for (const w of assignmentWatchers) w(copy(published));
      });
      return epoch;
    },

    readAssignment: async () => (assignment ? copy(assignment) : undefined),

    async watchAssignment(onChange) {
      open();
      if (assignment) onChange(copy(assignment));
      return stopper(assignmentWatchers, onChange);
    },

    async rememberWorker(id) {
      known.add(id);
    },
    knownWorkers: async () => [...known],
    async forgetWorker(id) {
      known.delete(id);
    },

    async setWorkerPaused(id, pause) {
      if (pause) paused.add(id);
      else paused.delete(id);
      later(() => {
        for (const w of pauseWatchers) if (w.id === id) w.onChange(pause);
      });
    },
    pausedWorkers: async () => [...paused],
    async watchWorkerPaused(id, onChange) {
      open();
      onChange(paused.has(id));
      return stopper(pauseWatchers, { id, onChange });
    },

    async hintWake(partition, nextRunMs) {
      later(() => {
        for (const w of wakeWatchers) w(partition, nextRunMs);
      });
    },
    async watchWakes(onWake) {
      open();
      return stopper(wakeWatchers, onWake);
    },

    sessions: () => [...sessions.values()],

    async close() {
      if (closed) return;
      closed = true;
      election.close();
      for (const session of [...sessions.values()]) await session.close();
      memberWatchers.clear();
      assignmentWatchers.clear();
      pauseWatchers.clear();
      wakeWatchers.clear();
    },
  };
}
