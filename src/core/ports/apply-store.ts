/**
 * What ApplyJobs needs of the store beyond plain job writes: finding a job by
 * its external key, and the namespace's record that makes two applies of one
 * namespace exclusive (`job-apply.ts`).
 *
 * The record holds a generation, bumped by every apply that starts writing,
 * and while one writes, its holder and lease end. An apply reads the
 * generation before it plans and starts only if the generation is still that
 * one and no live lease is held: a concurrent apply that planned against the
 * same state, or one that planned while another was writing, is refused.
 */

import type { Job } from "../job.js";

export interface ApplyStart {
  /** The generation read before planning. */
  generation: number;
  /** Names this apply as the holder. */
  token: string;
  /** The lease ends then, if the holder died without ending it. */
  untilMs: number;
  nowMs: number;
}

export interface ApplyStore {
  /** The tenant's live (not CANCELLED) job holding `key`, if any; read consistently. */
  getJobByExternalKey(tenant: string, key: string): Promise<Job | undefined>;
  /** The namespace's generation: 0 when no apply ever wrote to it. */
  applyGeneration(tenant: string, namespace: string): Promise<number>;
  /**
   * Bumps the generation and takes the lease if the generation is still
   * `start.generation` and no live lease is held; false otherwise.
   */
  beginApply(tenant: string, namespace: string, start: ApplyStart): Promise<boolean>;
  /** Gives the lease back (only if `token` still holds it). */
  endApply(tenant: string, namespace: string, token: string): Promise<void>;
}
