/**
 * Tenants in tests: clients that call as an admin of a tenant, with real
 * tokens signed by a test key (`testAuth()`), against an app whose config
 * carries that key's settings (`auth.settings`).
 */

import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DEFAULT_TENANT } from "../../src/core/caller.js";
import type { TestAuth } from "./auth.js";

export type TenantClient = <S extends DescService>(
  service: S,
  baseUrl: string,
  /** "" or absent: tenant `default`. */
  tenant?: string,
) => Client<S>;

/** Makes gRPC clients that call as an admin of a tenant, each token minted once. */
export function tenantClients(auth: TestAuth): TenantClient {
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (tenant: string) => {
    let token = tokens.get(tenant);
    if (!token) {
      token = auth.token({ tenant, roles: ["admin"], sub: `test-${tenant}` });
      tokens.set(tenant, token);
    }
    return token;
  };
  return (service, baseUrl, tenant) => {
    const bearer: Interceptor = (next) => async (req) => {
      req.header.set("authorization", `Bearer ${await tokenOf(tenant || DEFAULT_TENANT)}`);
      return next(req);
    };
    return createClient(service, createGrpcTransport({ baseUrl, interceptors: [bearer] }));
  };
}
