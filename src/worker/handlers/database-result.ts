/**
 * The result a database run records: JSON
 * `{"command","rows_affected","rows","truncated"}`, at most the worker's
 * result size limit. Rows beyond `max_rows`, or that do not fit, are left
 * out and `truncated` says so.
 */
import { clampText } from "./truncate.js";

export interface StatementOutcome {
  /** The command tag's verb (`SELECT`, `INSERT`, `CALL`); empty when the statement did not finish reporting it. */
  command: string;
  /** Rows the statement touched or returned; null when the server did not say (rows left unread). */
  rowsAffected: number | null;
  /** The rows read: at most `maxRows`, or `maxRows + 1` to tell there were more. */
  rows: Array<Record<string, unknown>>;
}

/** The result text, within `maxBytes` UTF-8 bytes. */
export function formatDatabaseResult(
  outcome: StatementOutcome,
  maxRows: number,
  maxBytes: number,
): string {
  const kept = outcome.rows.slice(0, maxRows);
  let truncated = outcome.rows.length > maxRows;
  const head = { command: outcome.command, rows_affected: outcome.rowsAffected };
  // Fit as many rows as the limit allows: each costs its JSON and a comma.
  const empty = JSON.stringify({ ...head, rows: [], truncated: true });
  let budget = maxBytes - Buffer.byteLength(empty);
  let fit = 0;
  for (const row of kept) {
    const cost = Buffer.byteLength(JSON.stringify(row)) + (fit === 0 ? 0 : 1);
    if (cost > budget) break;
    budget -= cost;
    fit++;
  }
  if (fit < kept.length) truncated = true;
  const text = JSON.stringify({ ...head, rows: kept.slice(0, fit), truncated });
  // Only a limit smaller than the empty result itself needs this.
  return clampText(text, maxBytes);
}
