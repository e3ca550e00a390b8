import { failedPrecondition } from "../../core/errors.js";
import type { Leadership } from "../../core/ports/coordinator.js";
import type { MemorySession } from "./session.js";

class MemoryLeadership implements Leadership {
  private held = true;
  private readonly lost = new Set<() => void>();

  constructor(
    readonly term: number,
    readonly session: MemorySession,
    readonly candidateId: string,
    private readonly resigned: (l: MemoryLeadership) => void,
  ) {}

  isLeader(): boolean {
    return this.held && this.session.isLive();
  }
  onLost(listener: () => void): void {
    this.lost.add(listener);
  }
  /** Ends the term once; listeners hear of it. */
  end(): void {
    if (!this.held) return;
    this.held = false;
    for (const listener of [...this.lost]) listener();
  }
  async resign(): Promise<void> {
    if (!this.held) return;
    this.end();
    this.resigned(this);
  }
}

interface Candidate {
  session: MemorySession;
  id: string;
  resolve(l: Leadership): void;
  reject(err: unknown): void;
}

/**
 * The memory coordinator's election: candidates win in the order they
 * campaigned, as etcd's election keys are ordered by creation revision;
 * a term ends with a resign, the leader's session, or the coordinator.
 */
export function createMemoryElection(deps: { nextRevision(): number }) {
  let current: MemoryLeadership | undefined;
  const queue: Candidate[] = [];

  function promote(): void {
    if (current) return;
    const next = queue.shift();
    if (!next) return;
    current = new MemoryLeadership(deps.nextRevision(), next.session, next.id, (l) => {
      if (current === l) {
        current = undefined;
        promote();
      }
    });
    next.resolve(current);
  }

  return {
    campaign(session: MemorySession, candidateId: string, signal?: AbortSignal) {
      signal?.throwIfAborted();
      if (!session.isLive()) throw failedPrecondition("session is not live");
      return new Promise<Leadership>((resolve, reject) => {
        const candidate: Candidate = { session, id: candidateId, resolve, reject };
        queue.push(candidate);
        signal?.addEventListener(
          "abort",
          () => {
            const at = queue.indexOf(candidate);
            if (at < 0) return;
            queue.splice(at, 1);
            reject(signal.reason);
          },
          { once: true },
        );
        promote();
      });
    },

    leader(): string | undefined {
      return current?.isLeader() ? current.candidateId : undefined;
    },

    holds(leadership: Leadership): boolean {
      return leadership === current && current.isLeader();
    },

    /** A session's keys are gone: its campaigns and its term end. */
    sessionEnded(session: MemorySession): void {
      for (const c of queue.filter((c) => c.session === session)) {
        queue.splice(queue.indexOf(c), 1);
        c.reject(failedPrecondition("session ended during the campaign"));
      }
      if (current?.session === session) {
        const ended = current;
        current = undefined;
        ended.end();
        promote();
      }
    },

    close(): void {
      for (const c of queue.splice(0)) c.reject(failedPrecondition("coordinator closed"));
      const ended = current;
      current = undefined;
      ended?.end();
    },
  };
}
