/**
 * The audit interceptor: records one event for every call of a method with
 * side effects (any method without `idempotency_level = NO_SIDE_EFFECTS` in
 * its proto), whatever its outcome, and for every call of an admin acting on
 * another tenant, reads included. It sits between the call interceptor
 * (whose correlation id it records) and auth, so that it sees auth's
 * refusals too: it reads what auth learnt of the caller (`kIdentity`) after
 * the rest of the chain has returned or thrown.
 */

import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ulid } from "ulid";
import type { AuditWriter } from "../audit/writer.js";
import type { AuditEvent } from "../core/audit.js";
import type { Identity } from "../core/caller.js";
import type { Clock } from "../core/clock.js";
import { kCorrelationId } from "./call-context.js";
import { kCaller, kIdentity } from "./caller-context.js";
import { toConnectError } from "./error-map.js";
import { resourceIds } from "./resource-ids.js";

export interface AuditInterceptorOptions {
  writer: AuditWriter;
  clock: Clock;
  /**
   * Whether an auth interceptor follows. Without one (auth off) every call is
   * the anonymous admin's (`kCaller`'s default); with one, a call it refused
   * before a token checked out has no identity.
   */
  authenticates: boolean;
}

export function createAuditInterceptor(options: AuditInterceptorOptions): Interceptor {
  const { writer, clock } = options;
  return (next) => async (req) => {
    const readOnly = req.method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
    let res: Awaited<ReturnType<typeof next>> | undefined;
    let failure: { err: unknown } | undefined;
    try {
      res = await next(req);
    } catch (err) {
      failure = { err };
    }
    const who: Identity | undefined = options.authenticates
      ? req.contextValues.get(kIdentity)
      : req.contextValues.get(kCaller);
    if (!readOnly || who?.actingAs) {
      const correlationId = req.contextValues.get(kCorrelationId);
      const ids = req.stream ? [] : resourceIds(req.method.input, req.message);
      // A read's response is a listing: only a change's answer names what it made.
      if (res && !res.stream && !readOnly) resourceIds(req.method.output, res.message, ids);
      const atMs = clock.now();
      const event: AuditEvent = {
        id: ulid(atMs),
        atMs,
        service: req.service.typeName,
        method: req.method.name,
        resourceIds: ids,
        readOnly,
        code: failure ? codeToString(toConnectError(failure.err, correlationId).code) : "ok",
        correlationId,
      };
      if (who) {
        event.subject = who.subject;
        event.tenant = who.tenant;
        if (who.role) event.role = who.role;
        if (who.actingAs) event.adminTenant = who.actingAs.ownTenant;
      }
      writer.record(event);
    }
    if (failure) throw failure.err;
    return res!;
  };
}
