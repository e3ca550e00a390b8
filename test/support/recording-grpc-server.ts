/**
 * A stand-in gRPC server (h2c) that records each request's path and headers
 * and answers every call with one status, trailers-only. Tests point a client
 * at it to see the metadata it sends (`authorization`) and how it reports a
 * status such as Unauthenticated; the real server cannot show either while
 * authentication is off.
 */

import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";

export interface RecordedCall {
  path: string;
  headers: http2.IncomingHttpHeaders;
}

export interface RecordingGrpcServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

/** Answers every call with `grpc-status: status` and `grpc-message: message`. */
export async function startRecordingGrpcServer(
  status: number,
  message: string,
): Promise<RecordingGrpcServer> {
  const calls: RecordedCall[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    calls.push({ path: String(headers[":path"]), headers });
    // Drain the request body; the answer does not depend on it.
    stream.on("data", () => {});
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": String(status),
        "grpc-message": encodeURIComponent(message),
      },
      { endStream: true },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        // Clients may keep their connection open; close() alone would wait for them.
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
