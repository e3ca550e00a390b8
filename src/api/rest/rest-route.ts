/**
 * REST over the Connect handlers: the `httpRoutes` of the API server.
 *
 * A REST call is transcoded into a Connect unary JSON call and handed to the
 * very handler the Connect router serves for that method, as Vanguard does
 * (grpc-gateway instead dials the server as a client). So every REST call
 * goes through the same interceptor chain as an RPC (correlation id and log
 * line, RPC metrics, auth and role checks, error mapping) with no second
 * connection, and is decoded by the same proto JSON parser; only the answer
 * is rewritten: the response JSON as is, or an error as
 * `{"code", "message"}` with the HTTP status of `error-map.ts`.
 */

import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "pino";
import { ChronoringError } from "../../core/errors.js";
import { type NodeRequest, type NodeResponse, type RequestBody, writeHead } from "../body-limit.js";
import { CODE_TO_HTTP_STATUS } from "../error-map.js";
import { correlationIdOf, REQUEST_ID_HEADER } from "../interceptors.js";
import type { HttpRoute } from "../request-handler.js";
import { bindingsOf } from "./bindings.js";
import { designPrefix, fromDesignJson, renameField } from "./design-json.js";
import { buildOpenApi, OPENAPI_PATH } from "./openapi.js";
import { createRouteTable, type RouteTable } from "./route-table.js";
import { transcodeRequest } from "./transcode.js";
import { applyUpdateMask } from "./update-semantics.js";

export interface RestOptions {
  /** The Connect router's handlers (`router.handlers`): one per served method. */
  handlers: readonly UniversalHandler[];
  logger: Logger;
}

export interface Rest {
  route: HttpRoute;
  table: RouteTable;
  /** The OpenAPI document served at `GET /openapi.json`. */
  openApi: Record<string, unknown>;
}

/** Request headers not handed on to the Connect handler: the transport's own. */
const DROPPED_REQUEST_HEADERS =
  /^(:|content-|transfer-encoding$|connection$|keep-alive$|host$|te$|upgrade$|accept-encoding$|connect-)/i;
/** Response headers of the Connect answer not copied to the REST one. */
const DROPPED_RESPONSE_HEADERS = /^(content-|connect-)/i;

/** Builds the routing table from the handlers' annotations; throws on a bad rule. */
export function createRest(opts: RestOptions): Rest {
  const byMethod = new Map<DescMethod, UniversalHandler>();
  for (const h of opts.handlers) byMethod.set(h.method, h);
  const table = createRouteTable(bindingsOf(byMethod.keys()));
  const log = opts.logger.child({ component: "rest" });
  const openApi = buildOpenApi(table.bindings);
  // Open, as /healthz is: it describes the API and holds no data.
  const openApiText = JSON.stringify(openApi);

  const route: HttpRoute = (req, res, body) => {
    const url = new URL(req.url ?? "/", "http://rest.invalid");
    if (url.pathname === OPENAPI_PATH && (req.method === "GET" || req.method === "HEAD")) {
      writeHead(res, 200, { "content-type": "application/json", "cache-control": "no-cache" });
      res.end(req.method === "HEAD" ? "" : openApiText);
      return Promise.resolve();
    }
    const found = table.match(req.method ?? "GET", rawPathOf(req.url ?? "/"));
    if (found.kind === "not_found") return undefined;
    if (found.kind === "method_not_allowed") {
      sendError(res, 405, "unimplemented", `${req.method} is not served here`, {
        allow: found.allowed.join(", "),
      });
      return Promise.resolve();
    }
    const { binding, variables } = found;
    const handler = byMethod.get(binding.rpc)!;
    return (async () => {
      let request: Record<string, unknown>;
      let renames: [string, string][] = [];
      try {
        let json = await readJson(body);
        const prefix = designPrefix(binding.rpc.input.typeName, binding.body);
        if (prefix !== undefined) ({ body: json, renames } = fromDesignJson(json, prefix));
        request = transcodeRequest(binding, variables, url.searchParams, json);
        applyUpdateMask(binding, request, json);
      } catch (err) {
        if (!(err instanceof ChronoringError)) throw err;
        const message =
          err.field && !err.message.startsWith(err.field)
            ? `${err.field}: ${err.message}`
            : err.message;
        const id = correlationIdOf(headerOf(req, REQUEST_ID_HEADER));
        return sendError(res, 400, "invalid_argument", message, { [REQUEST_ID_HEADER]: id });
      }
      const abort = new AbortController();
      res.once("close", () => abort.abort());
      const uRes = await handler({
        httpVersion: req.httpVersion,
        method: "POST",
        url: `http://rest.invalid${handler.requestPath}`,
        header: handedHeaders(req),
        body: request as never,
        signal: abort.signal,
      });
      const text = await readAll(uRes.body);
      const headers: Record<string, string> = {};
      uRes.header?.forEach((value, key) => {
        if (!DROPPED_RESPONSE_HEADERS.test(key)) headers[key] = value;
      });
      if (uRes.status === 200) {
        const out = binding.responseBody === "" ? text : pick(text, binding);
        writeHead(res, 200, {
          ...headers,
          "content-type": "application/json",
          "cache-control": "no-store",
        });
        res.end(out);
        return;
      }
      const { code, message } = parseError(text);
      const status = CODE_TO_HTTP_STATUS[codeFromString(code) ?? Code.Unknown];
      if (status === 401) headers["www-authenticate"] ??= "Bearer";
      if (status >= 500) log.debug({ code, status }, "rest call failed");
      sendError(res, status, code, renameField(message, renames), headers);
    })();
  };
  return { route, table, openApi };
}

/** The path as sent, still percent-encoded (path-template.ts matches on it). */
function rawPathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

function headerOf(req: NodeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? undefined : v;
}

function handedHeaders(req: NodeRequest): Headers {
  const header = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.test(key)) continue;
    for (const v of Array.isArray(value) ? value : [value]) header.append(key, v);
  }
  header.set("content-type", "application/json");
  header.set("connect-protocol-version", "1");
  return header;
}

/** The body as JSON; undefined when empty. Throws InvalidArgument on bad JSON. */
async function readJson(body: RequestBody): Promise<unknown> {
  const text = await readAll(body.chunks);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ChronoringError(
      "invalid_argument",
      `body: not valid JSON (${(err as Error).message})`,
    );
  }
}

async function readAll(chunks: AsyncIterable<Uint8Array> | undefined): Promise<string> {
  if (!chunks) return "";
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString("utf8");
}

function pick(text: string, binding: { rpc: DescMethod; responseBody: string }): string {
  const field = binding.rpc.output.fields.find((f) => f.name === binding.responseBody)!;
  const value = (JSON.parse(text) as Record<string, unknown>)[field.jsonName];
  return JSON.stringify(value ?? null);
}

function parseError(text: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    return {
      code: typeof parsed.code === "string" ? parsed.code : "unknown",
      message: typeof parsed.message === "string" ? parsed.message : "",
    };
  } catch {
    return { code: "unknown", message: text };
  }
}

function sendError(
  res: NodeResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  writeHead(res, status, {
    ...headers,
    "content-type": "application/json",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify({ code, message }));
}
