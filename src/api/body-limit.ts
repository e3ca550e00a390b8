/**
 * The request body limit of the API port (CHRONORING_API_MAX_BODY_BYTES).
 * Every request passes through `limitBody` before any route sees it, so a
 * route reads its body only through the limited `RequestBody`:
 *
 * - a declared `content-length` over the limit is refused before a byte of
 *   the body is read;
 * - a body without a length (chunked HTTP/1.1, HTTP/2 DATA frames) is counted
 *   as it is read, and refused as soon as it passes the limit;
 * - in gRPC, gRPC-Web and Connect streaming bodies, a message whose 5-byte
 *   prefix declares it past the limit is refused before it arrives; a client
 *   stream's body (ImportJobs) is limited per message only, not in total.
 *
 * Nothing is read faster than a route reads it (Node's stream buffers and
 * HTTP/2 flow control hold the sender back), so what a request costs in
 * memory stays under the limit plus those buffers. Once refused, the rest of
 * a body is read and thrown away, never kept; and a body still arriving after
 * its answer is not read for long (see endAfterResponse).
 */

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import {
  constants,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Stream,
} from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { correlationIdOf, REQUEST_ID_HEADER } from "./interceptors.js";

export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

/** 1 MiB: a job is at most 256 KiB serialized, with room for the rest of a request. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** How long the rest of a body is read and thrown away after its answer went out. */
const DISCARD_GRACE_MS = 1000;

/** Bodies framed in 5-byte envelopes: gRPC, gRPC-Web (binary) and Connect streaming. */
const ENVELOPED = /^application\/(grpc(-web)?(\+[\w.-]+)?|connect\+[\w.-]+)\s*(;|$)/i;

/**
 * A body over the limit: ResourceExhausted over RPC, HTTP 413 on plain routes.
 * It carries the request's correlation id as `x-request-id`, like every other
 * answer (the call interceptor never sees a call whose body was refused).
 */
export class BodyTooLargeError extends ConnectError {
  constructor(
    readonly maxBytes: number,
    readonly correlationId: string,
  ) {
    super(
      `request body exceeds ${maxBytes} bytes (CHRONORING_API_MAX_BODY_BYTES)`,
      Code.ResourceExhausted,
      { [REQUEST_ID_HEADER]: correlationId },
    );
  }
}

/** The body of one request, under the limit. */
export interface RequestBody {
  readonly maxBytes: number;
  /** The declared content-length is over the limit: answer without reading. */
  readonly declaredTooLarge: boolean;
  /**
   * The body chunk by chunk, for one reader. Throws BodyTooLargeError at once
   * when the declared length is over the limit, else as soon as the bytes
   * read pass it; never yields more than `maxBytes` in all.
   */
  readonly chunks: AsyncIterable<Uint8Array>;
  /**
   * Refuses the body (told to onRefused once) and returns the error to
   * answer with, for a route that refuses it without reading.
   */
  refuse(): BodyTooLargeError;
}

export interface RefusedBody {
  method: string;
  path: string;
  correlationId: string;
  /** The declared content-length, if any. */
  declared?: number;
}

export interface LimitBodyOptions {
  maxBytes: number;
  /** Told once per refused request (for the log). */
  onRefused?: (info: RefusedBody) => void;
  /**
   * A client stream (ImportJobs): an enveloped body may run past the limit in
   * total, each of its messages is held to it. Memory stays bounded the same
   * way, since nothing is read faster than the route reads it.
   */
  perMessage?: boolean;
}

/**
 * Puts one request under the limit; call it before anything reads the body.
 * It also arranges for the rest of an unread body to be thrown away once the
 * response is done (see the file comment).
 */
export function limitBody(
  req: NodeRequest,
  res: NodeResponse,
  opts: LimitBodyOptions,
): RequestBody {
  const { maxBytes } = opts;
  const declared = declaredLength(req);
  const declaredTooLarge = declared !== undefined && declared > maxBytes;
  let refusal: BodyTooLargeError | undefined;
  const refuse = () => {
    if (refusal) return refusal;
    const given = req.headers[REQUEST_ID_HEADER];
    refusal = new BodyTooLargeError(maxBytes, correlationIdOf(Array.isArray(given) ? null : given));
    // Nothing reads the rest: throw it away from now on rather than let it
    // fill buffers and hold the sender up while the refusal is answered.
    discard(req);
    opts.onRefused?.({
      method: req.method ?? "",
      path: (req.url ?? "/").split("?", 1)[0] ?? "/",
      correlationId: refusal.correlationId,
      ...(declared !== undefined && { declared }),
    });
    return refusal;
  };
  endAfterResponse(req, res);

  const prefixes = ENVELOPED.test(req.headers["content-type"] ?? "") ? new EnvelopeScanner() : null;
  async function* read(): AsyncGenerator<Uint8Array> {
    if (declaredTooLarge) throw refuse();
    let seen = 0;
    // Not the default iterator: it destroys the request (and on HTTP/1.1 the
    // socket) when the reader stops early, and the answer must still go out.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      const end = prefixes?.scan(chunk, seen) ?? 0;
      seen += chunk.length;
      const over =
        opts.perMessage && prefixes
          ? prefixes.largest > maxBytes
          : seen > maxBytes || end > maxBytes;
      if (over) throw refuse();
      yield chunk;
    }
  }
  return { maxBytes, declaredTooLarge, chunks: { [Symbol.asyncIterator]: read }, refuse };
}

/** The `content-length` of a request, when it has a valid one. */
export function declaredLength(req: NodeRequest): number | undefined {
  const raw = req.headers["content-length"];
  if (raw === undefined || !/^\d{1,16}$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Starts a response on either protocol. The two writeHead overload sets do
 * not unify into one callable signature (Node 24 types), so each is named.
 */
export function writeHead(res: NodeResponse, status: number, headers?: OutgoingHttpHeaders): void {
  if ("stream" in res) res.writeHead(status, headers);
  else res.writeHead(status, headers);
}

/** The answer of a plain HTTP route to a body over the limit: 413 and a JSON error. */
export function sendBodyTooLarge(res: NodeResponse, err: BodyTooLargeError): void {
  const body = JSON.stringify({ code: "resource_exhausted", message: err.rawMessage });
  writeHead(res, 413, {
    "content-type": "application/json",
    "cache-control": "no-store",
    [REQUEST_ID_HEADER]: err.correlationId,
  });
  res.end(body);
}

const discarding = new WeakSet<NodeRequest>();

/** Reads what is left of a body and throws it away. */
function discard(req: NodeRequest): void {
  if (req.complete || req.destroyed || discarding.has(req)) return;
  discarding.add(req);
  // A reader that stopped midway (connect refusing a second message, or our
  // own refusal) may still listen for "readable", which keeps the stream
  // paused; and a stream resumed without a "data" listener falls back to
  // paused when that listener goes.
  req.removeAllListeners("readable");
  req.on("data", ignore);
  req.resume();
}

const ignore = () => {};

/**
 * Once the response is done, a body still arriving is not read on:
 *
 * - HTTP/2: the stream is reset with NO_ERROR as soon as the end of the
 *   answer has gone out ("stop sending, the answer is complete", RFC 9113
 *   §8.1). Clients keep a stream open, and its unsent body queued, until then.
 * - HTTP/1.1: the rest is read and thrown away, and the connection closed if
 *   the body has not ended within a grace, so that the client reads the
 *   answer before the reset. Node alone would drain such a body without end,
 *   or leave the connection stuck when a reader stopped midway.
 */
function endAfterResponse(req: NodeRequest, res: NodeResponse): void {
  if ("stream" in req) {
    // An HTTP/2 compat response emits "finish" only when the stream closes;
    // the stream's own writable side ends when the answer is handed over.
    const stream = req.stream;
    stream.once("finish", () => resetWhenAnswered(req, stream, Date.now() + DISCARD_GRACE_MS));
    return;
  }
  res.once("finish", () => {
    if (req.complete || req.destroyed) return;
    discard(req);
    const timer = setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, DISCARD_GRACE_MS);
    timer.unref();
    req.once("end", () => clearTimeout(timer));
  });
}

/**
 * Resets a stream whose client is still sending, once its END_STREAM (the
 * last frame of the answer: data or gRPC trailers) has been sent. Node gives
 * no event for that, and a reset submitted before would make nghttp2 drop
 * the trailers, so the stream state is looked at until then.
 */
function resetWhenAnswered(req: NodeRequest, stream: ServerHttp2Stream, deadline: number): void {
  if (stream.closed || stream.destroyed) return;
  const { localClose, remoteClose } = stream.state;
  if (remoteClose) return;
  if (localClose || Date.now() > deadline) {
    // Node destroys a stream closed with NO_ERROR only once its readable
    // side has been read to the end: without this, data left unread would
    // keep the stream, and its session, forever.
    discard(req);
    stream.close(constants.NGHTTP2_NO_ERROR);
    return;
  }
  setTimeout(resetWhenAnswered, 2, req, stream, deadline).unref();
}

/**
 * Follows the 5-byte prefixes (flags, big-endian length) of an enveloped body
 * as its bytes pass, and tells where the message being read will end.
 */
class EnvelopeScanner {
  /** Prefix bytes seen of the next envelope (0..4). */
  private prefixSeen = 0;
  private length = 0;
  /** Payload bytes of the current envelope still to pass. */
  private payloadLeft = 0;
  private end = 0;
  /** The largest message length declared so far. */
  largest = 0;

  /** Scans `chunk`, which starts at byte `offset` of the body; returns the body size committed to so far. */
  scan(chunk: Uint8Array, offset: number): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - i);
        this.payloadLeft -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.prefixSeen > 0) this.length = this.length * 256 + byte;
      if (++this.prefixSeen === 5) {
        this.end = offset + i + this.length;
        this.largest = Math.max(this.largest, this.length);
        this.payloadLeft = this.length;
        this.prefixSeen = 0;
        this.length = 0;
      }
    }
    return this.end;
  }
}
