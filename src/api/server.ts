/**
 * The API server: Connect, gRPC and gRPC-Web on one cleartext port, over
 * HTTP/2 with prior knowledge (h2c, what gRPC clients speak without TLS) and
 * over HTTP/1.1 (Connect and gRPC-Web from curl and browsers), plus
 * `GET /metrics` and `GET /healthz` outside Connect.
 *
 * Node's `http2.createServer` cannot fall back to HTTP/1.1 without TLS
 * (`allowHTTP1` needs ALPN), so a plain TCP server reads the first bytes of
 * each connection: the HTTP/2 connection preface sends it to an HTTP/2
 * server, anything else to an HTTP/1.1 server; both run the same handler.
 */

import { setMaxListeners } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticate.js";
import { DEFAULT_MAX_BODY_BYTES } from "./body-limit.js";
import { createInterceptors } from "./interceptors.js";
import { createRequestHandler, type HttpRoute } from "./request-handler.js";
import { createRpcHandler } from "./rpc-handler.js";

export type { HttpRoute } from "./request-handler.js";

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
  /** Largest request body taken (CHRONORING_API_MAX_BODY_BYTES); default 1 MiB. */
  maxBodyBytes?: number;
  /** Plain HTTP routes (REST), tried after the RPC ones and /healthz, /metrics. */
  httpRoutes?: HttpRoute;
}

export interface ApiServer {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Stops accepting, lets calls in flight finish (up to closeTimeoutMs), then resolves. */
  close(): Promise<void>;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that has not sent enough to be routed within this long is dropped. */
const FIRST_BYTES_TIMEOUT_MS = 30_000;
/**
 * HTTP/2 streams open at once on one connection (Node allows 2^32-1); RFC 9113
 * advises at least 100. Clients queue calls beyond it. The memory of all
 * streams of a session stays under Node's maxSessionMemory (10 MB), past which
 * new streams are refused.
 */
const H2_MAX_CONCURRENT_STREAMS = 256;

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.logger.child({ component: "api" });
  const shutdown = new AbortController();
  let closing = false;

  // Every call in flight listens on it: no listener count means a leak.
  setMaxListeners(0, shutdown.signal);

  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const rpc = createRpcHandler({
    routes: opts.routes,
    logger: log,
    grpc: true,
    grpcWeb: true,
    connect: true,
    interceptors: opts.interceptors ?? createInterceptors(opts.logger),
    // Aborted on close: long streams (health Watch) see it and end.
    shutdownSignal: shutdown.signal,
    // Connect checks each message against it, also after decompression (a
    // small gzip body can inflate past the limit). The body limit itself is
    // body-limit.ts: readMaxBytes alone bounds no body that is not enveloped
    // or declared, nor a stream of many messages.
    readMaxBytes: maxBodyBytes,
  });
  const { handle, handleExpectingContinue } = createRequestHandler({
    rpc,
    maxBodyBytes,
    logger: log,
    closing: () => closing,
    metricsText: opts.metricsText,
    metricsAuth: opts.metricsAuth,
    httpRoutes: opts.httpRoutes,
  });

  // HTTP/1.1 connections, with the number of requests in flight on each.
  const h1Sockets = new Map<net.Socket, number>();
  const h1Request =
    (next: typeof handle) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      h1Sockets.set(socket, (h1Sockets.get(socket) ?? 0) + 1);
      if (closing) res.shouldKeepAlive = false;
      res.once("close", () => {
        const active = h1Sockets.get(socket);
        if (active === undefined) return; // the connection is gone already
        h1Sockets.set(socket, active - 1);
        if (closing && active === 1) socket.end();
      });
      next(req, res);
    };
  const h1 = http.createServer(h1Request(handle));
  h1.on("checkContinue", h1Request(handleExpectingContinue));

  const h2Sessions = new Set<http2.ServerHttp2Session>();
  const h2 = http2.createServer(
    { settings: { maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS } },
    handle,
  );
  h2.on("checkContinue", handleExpectingContinue);
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
    // A deadline, not an idle timeout: a byte now and then does not keep an
    // unrouted connection open.
    const deadline = setTimeout(() => socket.destroy(), FIRST_BYTES_TIMEOUT_MS);
    socket.once("close", () => {
      clearTimeout(deadline);
      unrouted.delete(socket);
      h1Sockets.delete(socket);
    });
    // Holds at most the 24-byte preface plus one read: it grows only while
    // every byte so far matches the preface.
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      // Wait for more only while the bytes so far could still be the preface.
      if (isH2 && n < H2_PREFACE.length) return;
      socket.off("data", onData);
      socket.off("error", onError);
      clearTimeout(deadline);
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
