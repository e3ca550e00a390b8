import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as an OTLP/HTTP receiver got it, ids in hex. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
  /** The resource's attributes (service.name, service.instance.id, ...). */
  resource: Record<string, string | number | boolean>;
}

/** Something that carried a trace's context to a test target. */
export interface ReceivedRequest {
  path: string;
  traceparent: string | undefined;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

const attrs = (list: KeyValue[] | undefined) =>
  Object.fromEntries(
    (list ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : value.boolValue),
    ]),
  ) as Record<string, string | number | boolean>;

/** OTLP/JSON ids are hex; base64 (protobuf-JSON mapping) is accepted too. */
const hex = (id: string | undefined) =>
  !id ? "" : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, "base64").toString("hex");

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

/** Listens on a free loopback port. */
async function listen(server: Server) {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A real OTLP/HTTP trace receiver (JSON encoding, as the
 * exporter-trace-otlp-http sends) on a free loopback port: the processes
 * under test export to `url`, the test reads `spans`.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = createServer(async (req, res) => {
    const text = await body(req);
    if (req.url === "/v1/traces" && req.method === "POST") {
      const message = JSON.parse(text) as {
        resourceSpans?: Array<{
          resource?: { attributes?: KeyValue[] };
          scopeSpans?: Array<{
            spans?: Array<{
              name: string;
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              attributes?: KeyValue[];
            }>;
          }>;
        }>;
      };
      for (const rs of message.resourceSpans ?? []) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              name: s.name,
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              attributes: attrs(s.attributes),
              resource,
            });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    res.writeHead(404).end();
  });
  return { ...(await listen(server)), spans };
}

/** An HTTP job target that records each request's `traceparent`. */
export async function startTraceTarget() {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const traceparent = req.headers.traceparent;
    requests.push({
      path: req.url ?? "",
      traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent,
    });
    req.resume();
    res.writeHead(200).end("ok");
  });
  return { ...(await listen(server)), requests };
}
