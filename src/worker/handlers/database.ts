/**
 * The database handler: runs a job's SQL statement, or CALLs its procedure,
 * on a client of the named connection's pool. The statement timeout is the
 * server's (`SET statement_timeout`); the run's signal, or a client-side
 * deadline a little past the timeout (for a server that stopped answering),
 * cancels the query on the server. Only the first `max_rows + 1` rows are
 * read, through a cursor, so a large SELECT costs no memory.
 */
import type pg from "pg";
import Cursor from "pg-cursor";
import { type Clock, settlesWithin, systemClock } from "../../core/clock.js";
import { type DatabaseTarget, databaseStatement } from "../../core/database-target.js";
import { classifyDatabaseError } from "./database-errors.js";
import { bindValues } from "./database-params.js";
import { type DatabasePools, types } from "./database-pools.js";
import { formatDatabaseResult, type StatementOutcome } from "./database-result.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";
import { linkDeadline } from "./http.js";
import { assertByteLimit, clampText, DEFAULT_MAX_OUTPUT_BYTES } from "./truncate.js";

export interface DatabaseHandlerOptions {
  pools: DatabasePools;
  /** Cap on the recorded result, in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /** How far past the statement timeout the client gives up on a silent server; default 5 s. */
  graceMs?: number;
  /** The client-side deadline runs on it. Default the system clock. */
  clock?: Clock;
}

/** Why the run stopped before the statement finished. */
class Stopped extends Error {}

export function createDatabaseHandler(opts: DatabaseHandlerOptions): JobHandler<DatabaseTarget> {
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  assertByteLimit(maxBytes, "maxOutputBytes");
  const graceMs = opts.graceMs ?? 5_000;
  return {
    type: "database",
    run: async (target, ctx) => {
      if (target.type !== "database") {
        throw new TypeError(`database handler got a ${target.type} target`);
      }
      const result = await runDatabase(target, ctx, opts.pools, graceMs, maxBytes, opts.clock);
      return { ...result, summary: clampText(result.summary, maxBytes) };
    },
  };
}

async function runDatabase(
  target: DatabaseTarget,
  ctx: RunContext,
  pools: DatabasePools,
  graceMs: number,
  maxBytes: number,
  clock: Clock = systemClock,
): Promise<HandlerResult> {
  const pool = pools.get(target.connection);
  if (!pool) {
    const held = pools.names();
    return {
      ok: false,
      retryable: false,
      summary:
        `unknown database connection "${target.connection}": this worker's ` +
        `CHRONORING_DATABASE_CONNECTIONS holds ${held.length ? held.map((n) => `"${n}"`).join(", ") : "none"}`,
    };
  }
  const deadline = linkDeadline(ctx.signal, target.timeoutMs + graceMs, clock);
  const stopped = () => ({ ok: false, summary: deadline.reason(), retryable: true });
  let client: pg.PoolClient | undefined;
  let broken = false;
  try {
    if (deadline.signal.aborted) return stopped();
    const connecting = pool.connect();
    client = await untilAborted(connecting, deadline.signal).catch((err: unknown) => {
      // A client that arrives after the run gave up goes straight back.
      if (err instanceof Stopped)
        void connecting.then(
          (c) => c.release(),
          () => undefined,
        );
      throw err;
    });
    // A whole number of ms, checked at create: safe to splice.
    await client.query(`SET statement_timeout = ${Math.trunc(target.timeoutMs)}`);
    const outcome = await untilAborted(execute(client, target), deadline.signal, async (late) => {
      // Stop the query on the server, then wait a little for the connection to be usable.
      late.catch(() => undefined);
      const pid = (client as unknown as { processID?: number }).processID ?? -1;
      const cancelled = await pools.cancel(target.connection, pid);
      if (!cancelled || !(await settlesWithin(late, graceMs, clock))) broken = true;
      ctx.logger.info({ cancelled }, "database run stopped: query cancelled");
    });
    ctx.logger.debug(
      { command: outcome.command, rows: outcome.rowsAffected },
      "database statement done",
    );
    return { ok: true, summary: formatDatabaseResult(outcome, target.maxRows, maxBytes) };
  } catch (err) {
    if (err instanceof Stopped)
      return { ...stopped(), summary: `${deadline.reason()} (query cancelled)` };
    const failure = classifyDatabaseError(err);
    // A failure without a SQLSTATE may have left the socket in any state.
    if (failure.summary.startsWith("connection failed")) broken = true;
    return { ok: false, summary: failure.summary, retryable: failure.retryable };
  } finally {
    deadline.dispose();
    if (client) await giveBack(client, broken);
  }
}

/** Runs the statement through a cursor, reading at most `max_rows + 1` rows. */
async function execute(client: pg.PoolClient, target: DatabaseTarget): Promise<StatementOutcome> {
  const statement = databaseStatement(target);
  const cursor = client.query(new Cursor(statement, bindValues(target.params), { types }));
  const { rows, result } = await new Promise<{
    rows: Record<string, unknown>[];
    result: pg.QueryResult;
  }>((resolve, reject) => {
    cursor.read(target.maxRows + 1, (err, rows, result) =>
      err ? reject(err) : resolve({ rows: rows as Record<string, unknown>[], result }),
    );
  });
  // Without a command tag the portal was left with rows unread: the count is unknown.
  const finished = typeof result.command === "string" && result.command !== "";
  await cursor.close();
  return {
    command: finished ? result.command : leadingKeyword(statement),
    rowsAffected: finished ? (result.rowCount ?? null) : null,
    rows,
  };
}

function leadingKeyword(statement: string): string {
  return /^\s*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase() ?? "";
}

/**
 * Resets the session (DISCARD ALL) so the next job starts clean, then returns
 * the client; closes it instead when it is broken or left in a transaction.
 */
async function giveBack(client: pg.PoolClient, broken: boolean): Promise<void> {
  if (broken || client.getTransactionStatus?.() !== "I") {
    client.release(true);
    return;
  }
  try {
    await client.query("DISCARD ALL");
    client.release();
  } catch (err) {
    client.release(err instanceof Error ? err : true);
  }
}

/**
 * `work`, or a Stopped error as soon as `signal` aborts; `onAbort` is then
 * given the still-running work so it can stop it, and is awaited first.
 */
async function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  onAbort?: (late: Promise<T>) => Promise<void>,
): Promise<T> {
  if (signal.aborted) throw new Stopped();
  let onAbortEvent: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbortEvent = () => reject(new Stopped());
    signal.addEventListener("abort", onAbortEvent, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } catch (err) {
    if (err instanceof Stopped && onAbort) await onAbort(work);
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbortEvent!);
  }
}
