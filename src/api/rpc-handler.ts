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
import type { NodeRequest, NodeResponse, RequestBody } from "./body-limit.js";

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  logger: Logger;
}

/** Serves one request if its path is a procedure (and returns true); else leaves it alone. */
export type RpcHandler = (req: NodeRequest, res: NodeResponse, body: RequestBody) => boolean;

export function createRpcHandler(opts: RpcHandlerOptions): RpcHandler {
  const { routes, logger, ...routerOptions } = opts;
  const router = createConnectRouter({
    acceptCompression: [compressionGzip, compressionBrotli],
    ...routerOptions,
  });
  routes(router);
  const paths = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) paths.set(handler.requestPath, handler);

  return (req, res, body) => {
    const handler = paths.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!handler) return false;
    let uReq: ReturnType<typeof universalRequestFromNodeRequest>;
    try {
      uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
    } catch {
      // No authority to build the request URL from: no Host, or not a host.
      res.writeHead(400, { "content-type": "text/plain" });
      res.end("bad request: missing or invalid Host\n");
      return true;
    }
    // A body declared too large is refused by reading it (body.chunks throws
    // at once); without the length, connect reads it instead of refusing on
    // the length with its own readMaxBytes message.
    if (body.declaredTooLarge) uReq.header.delete("content-length");
    handler({ ...uReq, body: body.chunks })
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        // Aborted: the client went away; nothing to answer.
        if (ConnectError.from(reason).code === Code.Aborted) return;
        logger.warn({ err: reason, procedure: handler.requestPath }, "rpc response failed");
      });
    return true;
  };
}
