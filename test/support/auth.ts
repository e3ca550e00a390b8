import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import type { JWK } from "jose";
import { bearerInterceptor } from "../../src/auth/bearer.js";
import { generateSigningKey } from "../../src/auth/local-key.js";
import { mintToken, type SigningKey } from "../../src/auth/mint.js";

export const TEST_ISSUER = "https://issuer.test";
export const TEST_AUDIENCE = "chronoring-test";

export interface TokenRequest {
  tenant?: string;
  roles?: string[];
  sub?: string;
  /** Lifetime from `nowMs` (default 300 s). */
  ttlS?: number;
  /** Issue time (default now). */
  nowMs?: number;
  /** Another key (default: the first key of the JWKS). */
  key?: SigningKey;
}

export interface TestAuth {
  /** The JWKS file the server reads. */
  jwksPath: string;
  /** CHRONORING_* settings (without the prefix) for `testConfig`: auth on, this JWKS. */
  settings: Record<string, string>;
  /** The key the JWKS publishes first. */
  key: SigningKey;
  /** A token signed with `key` (or `request.key`), tenant `default` and role viewer unless told. */
  token(request?: TokenRequest): Promise<string>;
  /** A new key; `publish` (default) adds it to the JWKS file (a rotation). */
  newKey(options?: { publish?: boolean; alg?: SigningKey["alg"] }): Promise<SigningKey>;
  /** Takes a key out of the JWKS file (the end of a rotation). */
  unpublish(key: SigningKey): void;
  /** The JWKS as served: one public JWK per published key. */
  jwks(): { keys: JWK[] };
  /** Removes the temp folder. */
  cleanup(): void;
}

/**
 * A key pair, the JWKS file publishing it, and a minting function, for tests
 * of a server with auth on.
 */
export async function testAuth(alg: SigningKey["alg"] = "EdDSA"): Promise<TestAuth> {
  const dir = mkdtempSync(join(tmpdir(), "chronoring-auth-"));
  const jwksPath = join(dir, "jwks.json");
  const published: JWK[] = [];
  const write = () => writeFileSync(jwksPath, JSON.stringify({ keys: published }));
  const newKey: TestAuth["newKey"] = async (options = {}) => {
    const made = await generateSigningKey(options.alg ?? alg);
    if (options.publish ?? true) {
      published.push(made.publicJwk);
      write();
    }
    return made.key;
  };
  const key = await newKey();
  return {
    jwksPath,
    settings: {
      AUTH_MODE: "jwt",
      AUTH_JWKS: jwksPath,
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
    },
    key,
    token: (r = {}) =>
      mintToken({
        key: r.key ?? key,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        tenant: r.tenant ?? "default",
        roles: r.roles ?? ["viewer"],
        subject: r.sub ?? "test-user",
        ttlS: r.ttlS ?? 300,
        ...(r.nowMs !== undefined ? { nowMs: r.nowMs } : {}),
      }),
    newKey,
    unpublish: (gone) => {
      const at = published.findIndex((jwk) => jwk.kid === gone.kid);
      if (at >= 0) published.splice(at, 1);
      write();
    },
    jwks: () => ({ keys: [...published] }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type Protocol = "grpc" | "connect" | "grpc-web";
export const PROTOCOLS: Protocol[] = ["grpc", "connect", "grpc-web"];

function transport(protocol: Protocol, baseUrl: string, interceptors: Interceptor[]): Transport {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
  }
}

/**
 * A transport that sends these headers on every call, raw (`authorization`
 * and `chronoring-tenant` as given), so that tests can send malformed ones.
 */
export function transportWith(
  protocol: Protocol,
  baseUrl: string,
  headers: Record<string, string> = {},
): Transport {
  const setHeaders: Interceptor = (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  };
  return transport(protocol, baseUrl, [setHeaders]);
}

/** A client of `service` that calls with this token over `protocol` (gRPC by default). */
export function authedClient<S extends DescService>(
  service: S,
  baseUrl: string,
  token: string,
  options: { protocol?: Protocol; actAs?: string } = {},
): Client<S> {
  const bearer = bearerInterceptor(
    token,
    options.actAs !== undefined ? { actAs: options.actAs } : {},
  );
  return createClient(service, transport(options.protocol ?? "grpc", baseUrl, [bearer]));
}
