/**
 * Tenants in tests. The server side: an interceptor that takes the caller
 * from a test header (the auth interceptor takes it from a token; tests that
 * only need "who is calling" use this one). The client side: clients that
 * send that header. Test code only: nothing in `src/` reads the header.
 */

import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { kCaller } from "../../src/api/caller-context.js";

export const TEST_TENANT_HEADER = "x-test-tenant";

/** Server interceptor: a call with the test header runs as an admin of that tenant. */
export function testCallerInterceptor(): Interceptor {
  return (next) => async (req) => {
    const tenant = req.header.get(TEST_TENANT_HEADER);
    if (tenant) {
      req.contextValues.set(kCaller, { subject: `test-${tenant}`, tenant, role: "admin" });
    }
    return next(req);
  };
}

/** A gRPC client of `service` that calls as `tenant`. */
export function tenantClient<S extends DescService>(
  service: S,
  baseUrl: string,
  tenant: string,
): Client<S> {
  const asTenant: Interceptor = (next) => (req) => {
    req.header.set(TEST_TENANT_HEADER, tenant);
    return next(req);
  };
  return createClient(service, createGrpcTransport({ baseUrl, interceptors: [asTenant] }));
}
