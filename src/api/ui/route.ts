/**
 * `/ui/`: the admin UI's static files, and `/ui/config.json`, which tells
 * the UI whether to ask for a token. The files need no token (they hold no
 * data); every call the UI makes carries the signed-in user's token.
 *
 * - `/ui` redirects to `/ui/`; GET and HEAD only (else 405).
 * - A file the build made is served as is. Hashed files under `assets/`
 *   are cached for a year (their name changes with their content);
 *   index.html and the other files must be revalidated (`no-cache`, ETag).
 * - Any other path without a file extension is a client-side route: it gets
 *   index.html. A missing asset or file is 404, never index.html in its stead.
 */

import type { IncomingHttpHeaders } from "node:http";
import type { Logger } from "pino";
import type { UiAsset, UiAssets } from "./assets.js";

/** What both Node's HTTP/1.1 and HTTP/2 compatibility requests offer. */
export interface PlainRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

/** What both Node's HTTP/1.1 and HTTP/2 compatibility responses offer. */
export interface PlainResponse {
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(): unknown;
  end(body: string | Uint8Array): unknown;
}

export const UI_PREFIX = "/ui/";

/** What the page may load and call: its own origin only. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const IMMUTABLE = "public, max-age=31536000, immutable";

export interface UiRouteOptions {
  assets: UiAssets;
  /** Told to the UI by /ui/config.json: "off" means no sign-in. */
  authMode: "jwt" | "off";
  logger: Logger;
}

/** Whether a request path belongs to the UI (the route answers it). */
export function isUiPath(path: string): boolean {
  return path === "/ui" || path.startsWith(UI_PREFIX);
}

/**
 * The file name a path below `/ui/` names, or undefined when it cannot name
 * one (bad encoding, dot segments, backslashes, NUL): those are 404 whatever
 * the folder holds.
 */
export function assetName(path: string): string | undefined {
  let name: string;
  try {
    name = decodeURIComponent(path.slice(UI_PREFIX.length));
  } catch {
    return undefined;
  }
  if (/[\\\0]/.test(name)) return undefined;
  if (name.split("/").some((seg) => seg === "." || seg === "..")) return undefined;
  return name === "" ? "index.html" : name;
}

export function createUiRoute(options: UiRouteOptions) {
  const log = options.logger.child({ component: "ui" });
  const configJson = JSON.stringify({ authMode: options.authMode });

  const send = (
    req: PlainRequest,
    res: PlainResponse,
    status: number,
    headers: Record<string, string>,
    body: string | Buffer,
  ) => {
    res.writeHead(status, { "x-content-type-options": "nosniff", ...headers });
    if (req.method === "HEAD" || status === 304) res.end();
    else res.end(body);
  };
  const text = (req: PlainRequest, res: PlainResponse, status: number, body: string) =>
    send(
      req,
      res,
      status,
      { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      body,
    );

  const serve = (req: PlainRequest, res: PlainResponse, name: string, asset: UiAsset) => {
    const headers: Record<string, string> = {
      "content-type": asset.type,
      etag: asset.etag,
      "cache-control": name.startsWith("assets/") ? IMMUTABLE : "no-cache",
      vary: "accept-encoding",
    };
    if (asset.type.startsWith("text/html")) {
      headers["content-security-policy"] = CSP;
      headers["referrer-policy"] = "no-referrer";
      headers["x-frame-options"] = "DENY";
    }
    if (req.headers["if-none-match"] === asset.etag) {
      return send(req, res, 304, headers, "");
    }
    const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    if (gzip) headers["content-encoding"] = "gzip";
    const body = gzip ? asset.gzip! : asset.body;
    headers["content-length"] = String(body.length);
    send(req, res, 200, headers, body);
  };

  const handle = async (req: PlainRequest, res: PlainResponse, path: string) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("method not allowed\n");
      return;
    }
    if (path === "/ui") {
      const query = (req.url ?? "").slice(path.length);
      res.writeHead(308, { location: `${UI_PREFIX}${query}`, "cache-control": "no-store" });
      res.end();
      return;
    }
    if (path === `${UI_PREFIX}config.json`) {
      return send(
        req,
        res,
        200,
        { "content-type": "application/json", "cache-control": "no-store" },
        configJson,
      );
    }
    const assets = await options.assets.current();
    if (!assets) return text(req, res, 404, "the admin UI is not built: run npm run build:ui\n");
    const name = assetName(path);
    if (name === undefined) return text(req, res, 404, "not found\n");
    const asset = assets.get(name);
    if (asset) return serve(req, res, name, asset);
    // A path like a file (or an asset) that is not there is missing, not a client route.
    const last = name.slice(name.lastIndexOf("/") + 1);
    if (name.startsWith("assets/") || last.includes(".")) return text(req, res, 404, "not found\n");
    const index = assets.get("index.html");
    if (!index) return text(req, res, 404, "not found\n");
    serve(req, res, "index.html", index);
  };

  // A plain HTTP route of the API server (request-handler.ts): undefined for
  // a path that is not the UI's. GET and HEAD carry no body to read.
  return (req: PlainRequest, res: PlainResponse): Promise<void> | undefined => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (!isUiPath(path)) return undefined;
    return handle(req, res, path).catch((err: unknown) => {
      log.error({ err }, "ui request failed");
      if (!res.headersSent) text(req, res, 500, "ui failed\n");
      else res.end();
    });
  };
}
