import type { Interceptor } from "@connectrpc/connect";
import { TENANT_HEADER } from "./authenticate.js";

/**
 * A client interceptor that sends `authorization: Bearer <token>` (and, for
 * an admin acting on another tenant, `chronoring-tenant`) on every call: for
 * the dev stack, the CLI and tests.
 */
export function bearerInterceptor(token: string, options: { actAs?: string } = {}): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    if (options.actAs !== undefined) req.header.set(TENANT_HEADER, options.actAs);
    return next(req);
  };
}
