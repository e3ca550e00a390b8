/**
 * RPCs sent byte by byte, for tests of the API transport that need what the
 * generated clients do not let them choose: the exact body, whether it
 * declares a content-length, a body that never ends. The answer is decoded in
 * each protocol's own error format with connect's protocol helpers.
 */

import type * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";

export type Protocol = "connect" | "grpc" | "grpc-web";

export interface RawRequest {
  baseUrl: string;
  /** `/package.Service/Method`, or any path. */
  path: string;
  protocol: Protocol;
  httpVersion: "1.1" | "2";
  /** The body as sent (already enveloped for gRPC and gRPC-Web). */
  body: Uint8Array | AsyncIterable<Uint8Array>;
  /** A content-length to declare; none: chunked (HTTP/1.1) or bare DATA frames (HTTP/2). */
  contentLength?: number;
  method?: string;
  headers?: Record<string, string>;
  /** Leave the request open after the body (a body that has not all arrived). */
  keepOpen?: boolean;
  /**
   * Go on sending the body after the answer arrived, until the server stops
   * the upload (by default the client stops sending once it has the answer).
   */
  uploadAfterAnswer?: boolean;
  /** An HTTP/2 connection to send on; by default each call opens its own. */
  session?: http2.ClientHttp2Session;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  /** HTTP trailers (gRPC's status and metadata). */
  trailers: Headers;
  /** Undefined when the call succeeded. */
  code?: Code;
  message?: string;
  /** The response body (for a plain HTTP answer). */
  body: Buffer;
  /** Body bytes written before the exchange ended (the server may reset an unwanted upload). */
  sent: number;
}

const CONTENT_TYPE: Record<Protocol, string> = {
  connect: "application/proto",
  grpc: "application/grpc+proto",
  "grpc-web": "application/grpc-web+proto",
};

/** The 5-byte prefix (flags, big-endian length) and the message. */
export function envelope(message: Uint8Array, declaredLength = message.length): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, declaredLength);
  out.set(message, 5);
  return out;
}

/**
 * A binary message of exactly `size` bytes that parses as any message type:
 * one unknown bytes field (number 15), which parsers skip.
 */
export function paddedMessage(size: number): Uint8Array {
  let payload = size - 2;
  while (payload > 0 && 1 + varintLength(payload) + payload > size) payload--;
  const out = new Uint8Array(size);
  out[0] = (15 << 3) | 2;
  let i = 1;
  for (let n = payload; ; n = Math.floor(n / 128)) {
    out[i++] = n >= 128 ? (n % 128) | 128 : n;
    if (n < 128) break;
  }
  if (i + payload !== size) throw new Error(`cannot pad a message to ${size} bytes`);
  return out;
}

const varintLength = (n: number): number => (n < 128 ? 1 : 1 + varintLength(Math.floor(n / 128)));

/** `total` zero bytes in chunks of 64 KiB, made as they are read (never held whole). */
export async function* zeros(total: number): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(65_536);
  for (let left = total; left > 0; left -= chunk.length) {
    yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
}

/** Sends one request and decodes the answer in its protocol's format. */
export async function rawCall(req: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    "content-type": CONTENT_TYPE[req.protocol],
    ...(req.protocol === "connect" && { "connect-protocol-version": "1" }),
    ...(req.protocol === "grpc" && { te: "trailers" }),
    ...(req.contentLength !== undefined && { "content-length": String(req.contentLength) }),
    ...req.headers,
  };
  const raw = req.httpVersion === "2" ? await sendH2(req, headers) : await sendH1(req, headers);
  return { ...raw, ...decode(req.protocol, raw) };
}

interface RawExchange {
  status: number;
  headers: Headers;
  trailers: Headers;
  body: Buffer;
  sent: number;
}

type Writable = NodeJS.WritableStream & { destroyed: boolean };

/** Writes the body with backpressure; stops quietly when the server ends the exchange. */
async function writeBody(out: Writable, req: RawRequest, stopped: () => boolean) {
  let sent = 0;
  const chunks = req.body instanceof Uint8Array ? [req.body] : req.body;
  for await (const chunk of chunks) {
    if (stopped() || out.destroyed) break;
    sent += chunk.length;
    if (!out.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          out.off("drain", done);
          out.off("close", done);
          resolve();
        };
        out.on("drain", done);
        out.on("close", done);
      });
    }
  }
  if (!req.keepOpen && !stopped() && !out.destroyed) out.end();
  return sent;
}

/**
 * HTTP/1.1 over a bare socket: Node's client stops uploading once an early
 * answer has ended, and a test of the server must see what a client that does
 * not stop does to it.
 */
function sendH1(req: RawRequest, headers: Record<string, string>): Promise<RawExchange> {
  const url = new URL(req.baseUrl);
  const chunked = req.contentLength === undefined;
  if (chunked) headers["transfer-encoding"] = "chunked";
  headers.host = url.host;
  const head = [`${req.method ?? "POST"} ${req.path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  socket.write(`${head.join("\r\n")}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    const parser = new ResponseParser();
    let answer: Omit<RawExchange, "sent"> | undefined;
    const framed = {
      destroyed: false,
      write: (chunk: Uint8Array) =>
        chunked
          ? socket.write(
              Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, CRLF]),
            )
          : socket.write(chunk),
      end: () => socket.write(chunked ? "0\r\n\r\n" : ""),
      on: socket.on.bind(socket),
      off: socket.off.bind(socket),
    };
    socket.once("close", () => {
      framed.destroyed = true;
    });
    const writing = writeBody(
      framed as unknown as Writable,
      req,
      () => answer !== undefined && !req.uploadAfterAnswer,
    );
    socket.on("error", () => {});
    socket.on("data", (data: Buffer) => {
      if (answer) return;
      try {
        answer = parser.push(data);
      } catch (err) {
        reject(err);
        socket.destroy();
        return;
      }
      if (!answer) return;
      if (!req.uploadAfterAnswer) socket.destroy();
      void writing.then((sent) => {
        socket.destroy();
        resolve({ ...answer!, sent });
      });
    });
    socket.once("close", () => {
      if (!answer) reject(new Error("connection closed without an answer"));
    });
  });
}

const CRLF = Buffer.from("\r\n");

/** Just enough of an HTTP/1.1 response parser: status, headers, a sized or chunked body, trailers. */
class ResponseParser {
  private buf = Buffer.alloc(0);
  private status = 0;
  private headers = new Headers();
  private body: Buffer[] = [];

  /** Takes bytes; returns the answer once it is complete. */
  push(data: Buffer): Omit<RawExchange, "sent"> | undefined {
    this.buf = Buffer.concat([this.buf, data]);
    for (;;) {
      if (this.status === 0) {
        const end = this.buf.indexOf("\r\n\r\n");
        if (end < 0) return undefined;
        const [statusLine = "", ...lines] = this.buf
          .subarray(0, end)
          .toString("latin1")
          .split("\r\n");
        this.buf = this.buf.subarray(end + 4);
        const status = Number(statusLine.split(" ")[1]);
        if (status === 100) continue;
        this.status = status;
        this.headers = parseHeaderLines(lines);
      }
      const length = this.headers.get("content-length");
      if (length !== null) {
        if (this.buf.length < Number(length)) return undefined;
        return this.done(this.buf.subarray(0, Number(length)), new Headers());
      }
      if (this.headers.get("transfer-encoding") !== "chunked") {
        throw new Error("a response without a length: not supported here");
      }
      return this.chunk();
    }
  }

  private chunk(): Omit<RawExchange, "sent"> | undefined {
    for (;;) {
      const eol = this.buf.indexOf("\r\n");
      if (eol < 0) return undefined;
      const size = Number.parseInt(this.buf.subarray(0, eol).toString("latin1"), 16);
      if (size === 0) {
        const end = this.buf.indexOf("\r\n\r\n", eol);
        const trailerEnd = this.buf.subarray(eol + 2, eol + 4).equals(CRLF) ? eol : end;
        if (trailerEnd < 0) return undefined;
        const lines = this.buf
          .subarray(eol + 2, trailerEnd)
          .toString("latin1")
          .split("\r\n");
        return this.done(Buffer.concat(this.body), parseHeaderLines(lines.filter(Boolean)));
      }
      if (this.buf.length < eol + 2 + size + 2) return undefined;
      this.body.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.buf = this.buf.subarray(eol + 2 + size + 2);
    }
  }

  private done(body: Buffer, trailers: Headers): Omit<RawExchange, "sent"> {
    return { status: this.status, headers: this.headers, trailers, body };
  }
}

function parseHeaderLines(lines: string[]): Headers {
  const out = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    out.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return out;
}

async function sendH2(req: RawRequest, headers: Record<string, string>): Promise<RawExchange> {
  const session = req.session ?? http2.connect(req.baseUrl);
  if (!req.session) session.on("error", () => {});
  try {
    return await new Promise<RawExchange>((resolve, reject) => {
      const stream = session.request({
        ":method": req.method ?? "POST",
        ":path": req.path,
        ...headers,
      });
      let status = 0;
      let responseHeaders = new Headers();
      let trailers = new Headers();
      const body: Buffer[] = [];
      let answered = false;
      const writing = writeBody(stream, req, () => answered && !req.uploadAfterAnswer);
      stream.on("error", () => {});
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        responseHeaders = toHeaders(h);
      });
      stream.on("trailers", (t) => {
        trailers = toHeaders(t);
      });
      stream.on("data", (b: Buffer) => body.push(b));
      stream.on("end", () => {
        answered = true;
        if (!req.uploadAfterAnswer) stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      stream.on("close", () => {
        if (status === 0) {
          reject(new Error(`stream closed without an answer (code ${stream.rstCode})`));
          return;
        }
        const answer = { status, headers: responseHeaders, trailers, body: Buffer.concat(body) };
        void writing.then((sent) => resolve({ ...answer, sent }));
      });
    });
  } finally {
    if (!req.session) session.close();
  }
}

function toHeaders(h: http.IncomingHttpHeaders | NodeJS.Dict<string | string[]>): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(":") || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(k, String(one));
  }
  return out;
}

function decode(protocol: Protocol, x: RawExchange): { code?: Code; message?: string } {
  let err: ConnectError | undefined;
  if (protocol === "connect") {
    if (x.status === 200) return {};
    try {
      err = errorFromJsonBytes(x.body, undefined, new ConnectError("", Code.Unknown));
    } catch {
      return { message: x.body.toString() };
    }
  } else if (x.headers.has("grpc-status")) {
    err = findTrailerError(x.headers);
  } else if (protocol === "grpc") {
    err = findTrailerError(x.trailers);
  } else {
    err = findTrailerError(grpcWebTrailer(x.body));
  }
  return err ? { code: err.code, message: err.rawMessage } : {};
}

/** The trailer frame (flag 0x80) of a gRPC-Web response body. */
function grpcWebTrailer(body: Buffer): Headers {
  for (let i = 0; i + 5 <= body.length; ) {
    const length = body.readUInt32BE(i + 1);
    if (body[i]! & 0x80) return trailerParse(body.subarray(i + 5, i + 5 + length));
    i += 5 + length;
  }
  return new Headers({ "grpc-status": String(Code.Internal), "grpc-message": "no trailer" });
}
