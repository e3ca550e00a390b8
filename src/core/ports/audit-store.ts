import type { AuditEvent, AuditQuery } from "../audit.js";
import type { Page } from "./job-store.js";

/**
 * Where audit events are kept for listing. Writes come in batches from the
 * audit writer, off the path of the calls they record; the store expires
 * events after its retention.
 */
export interface AuditStore {
  /** Creates what the store needs (a table) when missing. */
  init(): Promise<void>;
  /** Stores every event of the batch, or throws (unavailable) having stored some or none. */
  putEvents(events: AuditEvent[]): Promise<void>;
  /** Newest first; a page may hold fewer than `pageSize` events while it has a next token. */
  listEvents(query: AuditQuery): Promise<Page<AuditEvent>>;
}
