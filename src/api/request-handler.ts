/**
 * What one request gets, whatever its protocol: the body limit first
 * (body-limit.ts), then the RPC routes, `GET /healthz`, `GET /metrics`, the
 * plain HTTP routes (REST) and 404. The HTTP/1.1 and HTTP/2 servers of
 * server.ts both call it.
 */

import type { Logger } from "pino";
import { JobService } from "../../gen/chronoring/v1/job_service_pb.js";
import type { Authenticator } from "../auth/authenticate.js";
import { authenticateHttp } from "../auth/http-guard.js";
import { TZDATA_HEADER, tzdataVersion } from "../core/schedule/tzdata.js";
import {
  BodyTooLargeError,
  declaredLength,
  limitBody,
  type NodeRequest,
  type NodeResponse,
  type RequestBody,
  sendBodyTooLarge,
  writeHead,
} from "./body-limit.js";
import type { RpcHandler } from "./rpc-handler.js";

/**
 * Plain HTTP routes: returns undefined when the request is not theirs, else
 * serves it. They get the body already limited: a body declared too large
 * never reaches them (it is answered 413), and reading `body.chunks` past the
 * limit throws BodyTooLargeError, which is answered 413 when the returned
 * promise rejects with it before the response has started (a route may also
 * answer it itself with sendBodyTooLarge).
 */
export type HttpRoute = (
  req: NodeRequest,
  res: NodeResponse,
  body: RequestBody,
) => Promise<void> | undefined;

export interface RequestHandlerOptions {
  rpc: RpcHandler;
  maxBodyBytes: number;
  logger: Logger;
  /** True once the server is closing: /healthz answers 503. */
  closing: () => boolean;
  metricsText?: () => Promise<string>;
  /** Puts `/metrics` behind auth (any known role); open without it. */
  metricsAuth?: Authenticator;
  httpRoutes?: HttpRoute;
}

export interface RequestHandler {
  handle(req: NodeRequest, res: NodeResponse): void;
  /**
   * For a request with "Expect: 100-continue": a body declared too large is
   * refused before the client sends it (no 100 Continue).
   */
  handleExpectingContinue(req: NodeRequest, res: NodeResponse): void;
}

/** The procedures whose request is a client stream: their body is limited per message. */
const CLIENT_STREAMS = new Set(
  JobService.methods
    .filter((m) => m.methodKind === "client_streaming")
    .map((m) => `/${JobService.typeName}/${m.name}`),
);

const PROM_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function createRequestHandler(opts: RequestHandlerOptions): RequestHandler {
  const { rpc, maxBodyBytes, logger: log } = opts;

  const plain = (res: NodeResponse, status: number, body: string, type: string) => {
    writeHead(res, status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };

  const routeFailed = (res: NodeResponse, err: unknown) => {
    if (res.headersSent) {
      log.warn({ err }, "http route failed after its response started");
      res.destroy();
    } else if (err instanceof BodyTooLargeError) {
      sendBodyTooLarge(res, err);
    } else {
      log.error({ err }, "http route failed");
      plain(res, 500, "internal error\n", "text/plain");
    }
  };

  const handle = (req: NodeRequest, res: NodeResponse) => {
    // Before anything else, so that no route can read a body unlimited.
    const body = limitBody(req, res, {
      maxBytes: maxBodyBytes,
      perMessage: CLIENT_STREAMS.has((req.url ?? "/").split("?", 1)[0] ?? ""),
      onRefused: (info) => log.info({ ...info, maxBodyBytes }, "request body over the limit"),
    });
    if (rpc(req, res, body)) return;
    if (body.declaredTooLarge) return sendBodyTooLarge(res, body.refuse());
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method === "GET" && path === "/healthz") {
      const closing = opts.closing();
      res.setHeader(TZDATA_HEADER, tzdataVersion());
      return plain(res, closing ? 503 : 200, closing ? "closing\n" : "ok\n", "text/plain");
    }
    if (req.method === "GET" && path === "/metrics") {
      const metricsText = opts.metricsText;
      if (!metricsText) return plain(res, 404, "no metrics\n", "text/plain");
      const allowed = opts.metricsAuth
        ? authenticateHttp(opts.metricsAuth, req, res, { actAs: false })
        : Promise.resolve(true);
      allowed
        .then(async (caller) => {
          if (caller) plain(res, 200, await metricsText(), PROM_CONTENT_TYPE);
        })
        .catch((err: unknown) => {
          log.error({ err }, "metrics failed");
          if (!res.headersSent) plain(res, 500, "metrics failed\n", "text/plain");
        });
      return;
    }
    const served = opts.httpRoutes?.(req, res, body);
    if (served) {
      served.catch((err: unknown) => routeFailed(res, err));
      return;
    }
    writeHead(res, 404);
    res.end();
  };

  const handleExpectingContinue = (req: NodeRequest, res: NodeResponse) => {
    const declared = declaredLength(req);
    if (declared === undefined || declared <= maxBodyBytes) res.writeContinue();
    handle(req, res);
  };

  return { handle, handleExpectingContinue };
}
