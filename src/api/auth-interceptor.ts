/**
 * The auth interceptor: finds the method's rule in `access.ts`, lets `open`
 * methods through, authenticates every other call (`auth/authenticate.ts`),
 * checks the caller's role against the rule, and hands the Caller to
 * handlers (`callerOf(ctx)`), and what it learnt of the caller, refused or
 * not, to the audit interceptor (`kIdentity`). It runs after the call and
 * audit interceptors, which log, record and map its refusals like any other
 * error.
 */

import type { Interceptor } from "@connectrpc/connect";
import type { Authenticator } from "../auth/authenticate.js";
import { permissionDenied, refusalError } from "../auth/refusal.js";
import { roleIncludes } from "../core/caller.js";
import { accessOf, procedureName } from "./access.js";
import { kLogger } from "./call-context.js";
import { kCaller, kIdentity } from "./caller-context.js";

export function createAuthInterceptor(auth: Authenticator): Interceptor {
  return (next) => async (req) => {
    const access = accessOf(req.method);
    // Fail closed: a method nobody wrote a rule for is nobody's to call.
    if (access === undefined)
      throw permissionDenied(`${procedureName(req.method)} has no access rule`);
    if (access === "open") return next(req);

    const result = await auth.authenticate(req.header);
    if (!result.ok) {
      if (result.identity) req.contextValues.set(kIdentity, result.identity);
      throw refusalError(result.refusal);
    }
    const { caller } = result;
    req.contextValues.set(kIdentity, caller);
    if (!roleIncludes(caller.role, access)) {
      throw permissionDenied(`${procedureName(req.method)} needs role ${access}`);
    }
    const log = req.contextValues
      .get(kLogger)
      .child({ subject: caller.subject, tenant: caller.tenant, role: caller.role });
    req.contextValues.set(kCaller, caller).set(kLogger, log);
    if (caller.actingAs) {
      log.info({ ownTenant: caller.actingAs.ownTenant }, "admin acting on another tenant");
    }
    return next(req);
  };
}
