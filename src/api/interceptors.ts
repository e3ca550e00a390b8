/**
 * Server interceptors: every call gets a correlation id and a child logger
 * (handed to handlers as context values), answers with `x-request-id`, is
 * logged and measured (`rpc-metrics.ts`) once when it ends, and has its
 * errors mapped by `toConnectError`.
 */

import { randomUUID } from "node:crypto";
import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "pino";
import type { AuditWriter } from "../audit/writer.js";
import type { Authenticator } from "../auth/authenticate.js";
import { type Clock, systemClock } from "../core/clock.js";
import { createAuditInterceptor } from "./audit-interceptor.js";
import { createAuthInterceptor } from "./auth-interceptor.js";
import { kCorrelationId, kLogger } from "./call-context.js";
import { isInternal, toConnectError } from "./error-map.js";
import type { RpcMetrics } from "./rpc-metrics.js";
import { createStoreDeadlineInterceptor } from "./store-deadline-interceptor.js";
import { createTraceInterceptor } from "./trace-interceptor.js";

export { callScope, kCorrelationId, kLogger } from "./call-context.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** A client-chosen id is kept only if it is short and harmless in a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlationIdFrom(header: Headers): string {
  return correlationIdOf(header.get(REQUEST_ID_HEADER));
}

/** The client's `x-request-id` if it is sane, else a new id. */
export function correlationIdOf(given: string | null | undefined): string {
  return given != null && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The interceptor. Put it first (outermost) so that it sees the errors of the
 * interceptors after it (and measures the calls they reject).
 */
export function createCallInterceptor(logger: Logger, metrics?: RpcMetrics): Interceptor {
  return (next) => async (req) => {
    const correlationId = correlationIdFrom(req.header);
    const procedure = `/${req.service.typeName}/${req.method.name}`;
    const log = logger.child({ correlationId, procedure });
    req.contextValues.set(kCorrelationId, correlationId).set(kLogger, log);
    const started = performance.now();

    const done = (error: ConnectError | undefined, canceled = false) => {
      const elapsed = performance.now() - started;
      const ms = Math.round(elapsed * 10) / 10;
      // A stream that ends because the client went away ended normally on our side.
      const code =
        error !== undefined
          ? codeToString(error.code)
          : canceled || req.signal.aborted
            ? "canceled"
            : "ok";
      metrics?.observe({
        service: req.service.typeName,
        method: req.method.name,
        code,
        seconds: elapsed / 1000,
      });
      // The auth interceptor may have bound the caller to the call's logger since.
      const log = req.contextValues.get(kLogger);
      if (error === undefined) {
        log.info({ code, ms }, "rpc");
      } else if (isInternal(error)) {
        log.error({ code, ms, err: error.cause ?? error }, "rpc");
      } else {
        log.info({ code, ms, message: error.rawMessage }, "rpc");
      }
    };
    const fail = (err: unknown): ConnectError => {
      const error = toConnectError(err, correlationId);
      error.metadata.set(REQUEST_ID_HEADER, correlationId);
      done(error);
      return error;
    };

    try {
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, correlationId);
      if (!res.stream) {
        done(undefined);
        return res;
      }
      // A stream ends later: log and map errors when its messages run out.
      const messages = res.message;
      async function* observed() {
        let finished = false;
        try {
          yield* messages;
          finished = true;
          done(undefined);
        } catch (err) {
          finished = true;
          throw fail(err);
        } finally {
          if (!finished) done(undefined, true);
        }
      }
      return { ...res, message: observed() };
    } catch (err) {
      throw fail(err);
    }
  };
}

/**
 * The server's interceptor chain, outermost first: the trace interceptor
 * when tracing is on (so that the call's log line carries its trace id and
 * the span sees the mapped error code), the call interceptor (correlation
 * id, log line, RPC metrics, error mapping), then audit (which
 * records the calls auth refuses too, reading what auth learnt of the
 * caller once the call has ended), then auth when it is on, so that
 * refusals are logged, counted, audited and mapped like any other error;
 * innermost, the bound on the handler's store calls, so that the audit
 * trail's own writes are not bound to the call.
 */
export function createInterceptors(
  logger: Logger,
  options: {
    metrics?: RpcMetrics;
    auth?: Authenticator;
    /** Records audited calls (see `audit-interceptor.ts`); absent: no audit trail. */
    audit?: { writer: AuditWriter; clock?: Clock };
    /** Puts a span around every call (OpenTelemetry, when tracing is configured). */
    tracing?: boolean;
    /** Each store call a handler makes answers within this, or fails unavailable. */
    storeTimeoutMs?: number;
  } = {},
): Interceptor[] {
  const chain = options.tracing ? [createTraceInterceptor()] : [];
  chain.push(createCallInterceptor(logger, options.metrics));
  if (options.audit) {
    chain.push(
      createAuditInterceptor({
        writer: options.audit.writer,
        clock: options.audit.clock ?? systemClock,
        authenticates: options.auth !== undefined,
      }),
    );
  }
  if (options.auth) chain.push(createAuthInterceptor(options.auth));
  if (options.storeTimeoutMs !== undefined) {
    chain.push(createStoreDeadlineInterceptor(options.storeTimeoutMs));
  }
  return chain;
}
