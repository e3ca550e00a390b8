import type { Backfill } from "../backfill/types.js";
import type { TenantScope } from "../tenant.js";
import type { Page } from "./job-store.js";

/**
 * Durable backfill records (`core/backfill/`): one item per backfill, never
 * one per nominal time. Every write replaces the record and is conditional
 * on the version it read, so that the API's cancel and the driver's steps
 * (two drivers, when a leader overlaps its successor) never lose each other's
 * changes: the loser reads again.
 */
export interface BackfillStore {
  /** Creates the table and its indexes when missing. */
  init(): Promise<void>;
  /** Writes a new record; already_exists when its id is taken. */
  create(backfill: Backfill): Promise<void>;
  /** Undefined when unknown or not in `scope`. */
  get(scope: TenantScope, id: string): Promise<Backfill | undefined>;
  /** One job's backfills of `tenant`, newest first. */
  listByJob(
    tenant: string,
    jobId: string,
    pageSize: number,
    pageToken?: string,
  ): Promise<Page<Backfill>>;
  /**
   * Every tenant's backfills the driver advances (`isActive`: RUNNING, or
   * CANCELLED with runs out), oldest first, at most `limit`.
   */
  listActive(limit: number): Promise<Backfill[]>;
  /**
   * Replaces the record with `backfill` (its version must be one more than
   * the stored one); false when the stored version moved on meanwhile.
   */
  save(backfill: Backfill): Promise<boolean>;
}
