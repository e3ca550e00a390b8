/**
 * Auth for plain-HTTP routes (`/metrics` today, REST and UI routes later):
 * a request without a good token is answered here, 401 with
 * `WWW-Authenticate: Bearer`, 403, 400 or 503 as `httpRefusal` says.
 */

import type { IncomingHttpHeaders } from "node:http";
import type { Caller } from "../core/caller.js";
import type { Authenticator } from "./authenticate.js";
import { httpRefusal } from "./refusal.js";

/** What both Node's HTTP/1.1 and HTTP/2 compatibility responses offer. */
export interface PlainResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/**
 * The caller of an HTTP request, or undefined once the refusal has been sent.
 * `actAs: false` ignores `chronoring-tenant` (routes that are not tenant data).
 */
export async function authenticateHttp(
  auth: Authenticator,
  req: { headers: IncomingHttpHeaders },
  res: PlainResponse,
  options: { actAs: boolean } = { actAs: true },
): Promise<Caller | undefined> {
  const result = await auth.authenticate(options.actAs ? req.headers : req.headers.authorization);
  if (result.ok) return result.caller;
  const answer = httpRefusal(result.refusal);
  res.writeHead(answer.status, {
    ...answer.headers,
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(answer.body);
  return undefined;
}
