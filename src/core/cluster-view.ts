import type { Execution } from "./execution.js";
import type { Member } from "./ports/coordinator.js";
import type { Page } from "./ports/job-store.js";

export interface MemberView extends Member {
  /** Scheduler nodes: partitions assigned to it. */
  partitionsOwned: number;
  /** Workers: executions RUNNING on it, of every tenant (a measure of the worker's load). */
  inFlight: number;
  /** Workers: paused through the API. */
  paused?: boolean;
}

export interface ClusterView {
  members: MemberView[];
  leaderId?: string;
  /** 0 when no assignment is published. */
  epoch: number;
  partitions: Array<{ partition: number; nodeId: string; epoch: number }>;
}

/**
 * The operations behind ClusterService; failed_precondition when standalone.
 * Members, leader and assignment are infrastructure, the same for every
 * tenant; the runs listed on a worker are the caller's tenant's only.
 */
export interface ClusterQueries {
  view(): Promise<ClusterView>;
  workerRuns(
    tenant: string,
    workerId: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<Execution>>;
  /** Pauses a live worker (durably); returns it as `view` shows it. */
  pauseWorker(workerId: string): Promise<MemberView>;
  /** Clears a worker's pause; returns it when it is live. */
  resumeWorker(workerId: string): Promise<MemberView | undefined>;
}
