/**
 * Context values every call carries, set by the call interceptor
 * (`interceptors.ts`) and read by the interceptors after it and by handlers.
 */

import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import pino, { type Logger } from "pino";

/** The correlation id of the current call ("" outside the interceptor). */
export const kCorrelationId = createContextKey<string>("", { description: "correlation id" });

/** The logger of the current call, bound to its correlation id and procedure. */
export const kLogger = createContextKey<Logger>(pino({ enabled: false }), {
  description: "call logger",
});

/** For handlers: the call's logger and correlation id. */
export function callScope(ctx: Pick<HandlerContext, "values">): {
  logger: Logger;
  correlationId: string;
} {
  return { logger: ctx.values.get(kLogger), correlationId: ctx.values.get(kCorrelationId) };
}
