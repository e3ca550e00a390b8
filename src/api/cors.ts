/**
 * CORS for browser pages on other origins (CHRONORING_CORS_ORIGINS), for
 * every protocol of the port: Connect, gRPC-Web and REST. The header lists
 * are Connect's own (`cors` of @connectrpc/connect), plus what this API adds:
 * `authorization` (bearer tokens), `chronoring-tenant`, `x-request-id`, and
 * REST's PUT, PATCH and DELETE.
 *
 * An allowed origin gets the CORS headers on every answer and a 204 to its
 * preflight; any other origin gets none (the browser then refuses the call),
 * and its preflight a bare 204. Answers carry `Vary: Origin` either way, so
 * that a cache does not hand one origin's answer to another.
 */

import { cors } from "@connectrpc/connect";
import { type NodeRequest, type NodeResponse, writeHead } from "./body-limit.js";

const ALLOWED_METHODS = [...cors.allowedMethods, "PUT", "PATCH", "DELETE"].join(", ");
const ALLOWED_HEADERS = [
  ...cors.allowedHeaders,
  "Authorization",
  "Chronoring-Tenant",
  "X-Request-Id",
].join(", ");
const EXPOSED_HEADERS = [...cors.exposedHeaders, "X-Request-Id", "WWW-Authenticate"].join(", ");
/** How long a browser may keep a preflight's answer. */
const MAX_AGE_S = "7200";

/**
 * Returns a function that adds CORS headers to a response before any route
 * writes it, and answers preflights itself (then returns true).
 */
export function createCors(
  origins: readonly string[],
): (req: NodeRequest, res: NodeResponse) => boolean {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res) => {
    if (origins.length === 0) return false;
    res.setHeader("vary", "Origin");
    const origin = req.headers.origin;
    const preflight =
      req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (origin === undefined || !(any || allowed.has(origin))) {
      if (!preflight) return false;
      writeHead(res, 204);
      res.end();
      return true;
    }
    res.setHeader("access-control-allow-origin", any ? "*" : origin);
    if (!preflight) {
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
      return false;
    }
    writeHead(res, 204, {
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": MAX_AGE_S,
    });
    res.end();
    return true;
  };
}
