import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP proxy in front of DynamoDB Local, which never throttles: armed with
 * `throttle(n)`, it answers the next n requests as DynamoDB answers a
 * throttled one (400, ProvisionedThroughputExceededException), so that the
 * client's real error path runs, the SDK's retries included.
 */
export interface ThrottlingProxy {
  /** The endpoint to give the client instead of DynamoDB Local's. */
  url: string;
  throttle(requests: number): void;
  /** Requests answered with a throttle so far. */
  readonly throttled: number;
  close(): Promise<void>;
}

export async function startThrottlingProxy(upstream: string): Promise<ThrottlingProxy> {
  const target = new URL(upstream);
  let armed = 0;
  let throttled = 0;
  const server = createServer((req, res) => {
    if (armed > 0) {
      armed--;
      throttled++;
      req.resume();
      req.on("end", () => {
        res.writeHead(400, {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-requestid": `throttled-${throttled}`,
        });
        res.end(
          JSON.stringify({
            __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            message: "The level of configured provisioned throughput for the table was exceeded.",
          }),
        );
      });
      return;
    }
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    throttle(requests) {
      armed += requests;
    },
    get throttled() {
      return throttled;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
