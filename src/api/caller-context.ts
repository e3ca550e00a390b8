/**
 * The caller of the current request, as a Connect context value: set by the
 * auth interceptor, read by handlers (`callerOf(ctx)`) and passed to core.
 * Without the interceptor (auth off) every call is `ANONYMOUS_ADMIN`.
 */

import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { ANONYMOUS_ADMIN, type Caller, type Identity } from "../core/caller.js";

export const kCaller = createContextKey<Caller>(ANONYMOUS_ADMIN, { description: "caller" });

/**
 * Who the auth interceptor found calling, set as soon as a token checked
 * out, so also on calls it then refuses; absent when none did (no token, a
 * bad one) and with auth off. The audit interceptor reads it.
 */
export const kIdentity = createContextKey<Identity | undefined>(undefined, {
  description: "identity",
});

export function callerOf(ctx: Pick<HandlerContext, "values">): Caller {
  return ctx.values.get(kCaller);
}

/** The tenant the current call reads and writes: every handler passes it to core. */
export function tenantOf(ctx: Pick<HandlerContext, "values">): string {
  return callerOf(ctx).tenant;
}
