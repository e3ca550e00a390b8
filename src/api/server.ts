/**
 * The API server: Connect, gRPC and gRPC-Web on one cleartext port, over
 * HTTP/2 with prior knowledge (h2c, what gRPC clients speak without TLS) and
 * over HTTP/1.1 (Connect and gRPC-Web from curl and browsers), plus
 * `GET /metrics`, `GET /healthz` and the admin UI (`/ui/`) outside Connect.
 *
 * Node's `http2.createServer` cannot fall back to HTTP/1.1 without TLS
 * (`allowHTTP1` needs ALPN), so a plain TCP server reads the first bytes of
 * each connection: the HTTP/2 connection preface sends it to an HTTP/2
 * server, anything else to an HTTP/1.1 server; both run the same handler.
 */

import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticate.js";
import { authenticateHttp } from "../auth/http-guard.js";
import { createInterceptors } from "./interceptors.js";
import { isUiPath } from "./ui/route.js";

export interface ApiServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  routes: (router: ConnectRouter) => void;
  logger: Logger;
  /** Defaults to `createInterceptors(logger)`. */
  interceptors?: Interceptor[];
  /** Prometheus text for `GET /metrics`; without it, 404. */
  metricsText?: () => Promise<string>;
  /** Puts `/metrics` behind auth (any known role); open without it. */
  metricsAuth?: Authenticator;
  /** How long close() lets calls in flight finish before it drops connections. */
  closeTimeoutMs?: number;
  /** Answers `/ui` and `/ui/*` (`createUiRoute`); without it those paths are 404. */
  ui?: (req: NodeServerRequest, res: NodeServerResponse, path: string) => void;
}

export interface ApiServer {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Stops accepting, lets calls in flight finish (up to closeTimeoutMs), then resolves. */
  close(): Promise<void>;
}

type NodeHandler = ReturnType<typeof connectNodeAdapter>;
type NodeServerRequest = Parameters<NodeHandler>[0];
type NodeServerResponse = Parameters<NodeHandler>[1];

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that sends nothing for this long is dropped before it is routed. */
const FIRST_BYTES_TIMEOUT_MS = 30_000;
const PROM_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.logger.child({ component: "api" });
  const shutdown = new AbortController();
  let closing = false;

  const rpc = connectNodeAdapter({
    routes: opts.routes,
    grpc: true,
    grpcWeb: true,
    connect: true,
    interceptors: opts.interceptors ?? createInterceptors(opts.logger),
    // Aborted on close: long streams (health Watch) see it and end.
    shutdownSignal: shutdown.signal,
  });

  const plain = (res: NodeServerResponse, status: number, body: string, type: string) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };

  const handle = (req: NodeServerRequest, res: NodeServerResponse) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method === "GET" && path === "/healthz") {
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
    if (opts.ui && path !== undefined && isUiPath(path)) return opts.ui(req, res, path);
    rpc(req, res);
  };

  // HTTP/1.1 connections, with the number of requests in flight on each.
  const h1Sockets = new Map<net.Socket, number>();
  const h1 = http.createServer((req, res) => {
    const socket = req.socket;
    h1Sockets.set(socket, (h1Sockets.get(socket) ?? 0) + 1);
    if (closing) res.shouldKeepAlive = false;
    res.once("close", () => {
      const active = h1Sockets.get(socket);
      if (active === undefined) return; // the connection is gone already
      h1Sockets.set(socket, active - 1);
      if (closing && active === 1) socket.end();
    });
    handle(req, res);
  });

  const h2Sessions = new Set<http2.ServerHttp2Session>();
  const h2 = http2.createServer({}, handle);
  h2.on("session", (session) => {
    h2Sessions.add(session);
    session.once("close", () => h2Sessions.delete(session));
    if (closing) session.close();
  });
  h2.on("sessionError", (err) => log.debug({ err }, "http2 session error"));

  const unrouted = new Set<net.Socket>();
  const route = (socket: net.Socket) => {
    unrouted.add(socket);
    const onError = () => socket.destroy();
    socket.on("error", onError);
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
    socket.once("close", () => {
      unrouted.delete(socket);
      h1Sockets.delete(socket);
    });
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      // Wait for more only while the bytes so far could still be the preface.
      if (isH2 && n < H2_PREFACE.length) return;
      socket.off("data", onData);
      socket.off("error", onError);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(seen);
      unrouted.delete(socket);
      if (isH2) {
        // The HTTP/2 session reads what is buffered on its own.
        h2.emit("connection", socket);
      } else {
        h1Sockets.set(socket, 0);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  };

  const tcp = net.createServer(route);
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen({ host: opts.host, port: opts.port }, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  tcp.on("error", (err) => log.error({ err }, "api listener error"));
  const address = tcp.address() as net.AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${address.port}`;
  log.info({ url }, "api listening");

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const allGone = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const socket of unrouted) socket.destroy();
      for (const [socket, active] of h1Sockets) if (active === 0) socket.end();
      for (const session of h2Sessions) session.close();
      shutdown.abort();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), opts.closeTimeoutMs ?? 10_000);
      });
      const outcome = await Promise.race([allGone, timeout]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        log.warn("api close timed out, dropping connections");
        for (const session of h2Sessions) session.destroy();
        for (const socket of h1Sockets.keys()) socket.destroy();
        await allGone;
      }
      log.info("api closed");
    })();
    return closed;
  };

  return { url, port: address.port, close };
}
