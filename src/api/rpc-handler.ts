/**
 * Connect, gRPC and gRPC-Web on Node's HTTP servers. This is connect-node's
 * `connectNodeAdapter` rebuilt from connect-node's own public parts, for two
 * reasons: the adapter reads the Node request itself, with no way to hand it
 * the limited body (body-limit.ts); and it throws out of the request listener
 * when a request has no usable authority (an HTTP/1.0 request without Host,
 * or a Host that is no host name), which crashes the process.
 */

import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ConnectRouterOptions,
  createConnectRouter,
} from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { type NodeRequest, type NodeResponse, type RequestBody, writeHead } from "./body-limit.js";

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  logger: Logger;
}

/**
 * Serves one request if its path is a procedure (and returns true); else
 * leaves it alone. `handlers` are the router's, one per method, for the REST
 * layer (src/api/rest) to call in-process.
 */
export type RpcHandler = ((req: NodeRequest, res: NodeResponse, body: RequestBody) => boolean) & {
  readonly handlers: readonly UniversalHandler[];
};

export function createRpcHandler(opts: RpcHandlerOptions): RpcHandler {
  const { routes, logger, ...routerOptions } = opts;
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    ...routerOptions,
  });
  routes(router);
  const paths = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) paths.set(handler.requestPath, handler);

  const serve = (req: NodeRequest, res: NodeResponse, body: RequestBody): boolean => {
    const handler = paths.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) return false;
    let uReq: ReturnType<typeof universalRequestFromNodeRequest>;
    try {
      uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
    } catch {
      // No authority to build the request URL from: no Host, or not a host.
      writeHead(res, 400, { "content-type": "text/plain" });
      res.end("bad request: missing or invalid Host\n");
      return true;
    }
    // A body declared too large is refused by reading it (body.chunks throws
    // at once); without the length, connect reads it instead of refusing on
    // the length with its own readMaxBytes message.
    if (body.declaredTooLarge) uReq.header.delete("content-length");
    // Connect GET (methods with NO_SIDE_EFFECTS): the answer depends on the
    // bearer token and its tenant, so no shared cache may keep it.
    if (req.method === "GET") {
      res.setHeader("cache-control", "private, no-store");
      res.setHeader("vary", "Authorization, Chronoring-Tenant");
    }
    handler({ ...uReq, body: body.chunks })
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        // Aborted: the client went away; nothing to answer.
        if (ConnectError.from(reason).code === Code.Aborted) return;
        logger.warn({ err: reason, procedure: handler.requestPath }, "rpc response failed");
      });
    return true;
  };
  return Object.assign(serve, { handlers: router.handlers });
}
