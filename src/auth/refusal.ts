/**
 * Why a request was refused, in a form each front end can answer with: a
 * ChronoringError for Connect (mapped to a code in `api/error-map.ts`), or an
 * HTTP status with `WWW-Authenticate` (RFC 6750) for plain-HTTP routes.
 */

import { ChronoringError } from "../core/errors.js";

export type AuthRefusal =
  /** No token, or one that does not check out: 401, Unauthenticated. */
  | { kind: "unauthenticated"; reason: string }
  /** A good token without the role needed: 403, PermissionDenied. */
  | { kind: "permission_denied"; reason: string }
  /** A bad `chronoring-tenant` header: 400, InvalidArgument. */
  | { kind: "invalid_argument"; reason: string }
  /** The signing keys cannot be loaded: 503, Unavailable (retry). */
  | { kind: "unavailable"; reason: string };

export function refusalError(refusal: AuthRefusal): ChronoringError {
  return new ChronoringError(refusal.kind, refusal.reason);
}

export function permissionDenied(reason: string): ChronoringError {
  return new ChronoringError("permission_denied", reason);
}

/** The HTTP answer to a refusal: status, headers and a one-line body. */
export function httpRefusal(refusal: AuthRefusal): {
  status: 400 | 401 | 403 | 503;
  headers: Record<string, string>;
  body: string;
} {
  const body = `${refusal.reason}\n`;
  const quoted = refusal.reason.replaceAll('"', "'");
  switch (refusal.kind) {
    case "unauthenticated":
      return {
        status: 401,
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        headers: {
          "www-authenticate":
            refusal.reason === MISSING_TOKEN
              ? "Bearer"
              : `Bearer error="invalid_token", error_description="${quoted}"`,
        },
        body,
      };
    case "permission_denied":
      return {
        status: 403,
        headers: {
          "www-authenticate": `Bearer error="insufficient_scope", error_description="${quoted}"`,
        },
        body,
      };
    case "invalid_argument":
      return { status: 400, headers: {}, body };
    case "unavailable":
      return { status: 503, headers: { "retry-after": "1" }, body };
  }
}

export const MISSING_TOKEN = "missing bearer token";
