/**
 * The admin UI's files at /ui/, served by the real API server from a built
 * folder on disk: content types, caching (hashed assets for a year,
 * index.html revalidated), client-side routes answered with index.html, 404
 * for missing files, no way out of the folder whatever the path's dots or
 * encodings (sent raw, as a hostile client would), /ui/config.json, methods,
 * gzip and a rebuild picked up without a restart.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer } from "../../../src/api/server.js";
import { defaultUiDir, uiAssets } from "../../../src/api/ui/assets.js";
import { assetName, createUiRoute } from "../../../src/api/ui/route.js";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/ui/assets/index-Ab12Cd34.js"></script></head><body></body></html>';
const APP_JS = `console.log(${JSON.stringify("x".repeat(4000))});`;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path exactly as given (no URL normalisation). */
function raw(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("/ui/ on the API server", () => {
  let root: string;
  let dir: string;
  let port: number;
  let close: () => Promise<void>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "chronoring-ui-"));
    dir = join(root, "dist", "ui");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), INDEX);
    writeFileSync(join(dir, "assets", "index-Ab12Cd34.js"), APP_JS);
    writeFileSync(join(dir, "assets", "index-Ef56Gh78.css"), "body{margin:0}");
    writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    // Beside the UI folder: what a traversal would be after.
    writeFileSync(join(root, "secret.txt"), "do not serve");
    const logger = pino({ level: "silent" });
    const server = await startApiServer({
      host: "127.0.0.1",
      port: 0,
      logger,
      routes: () => {},
      httpRoutes: createUiRoute({ assets: uiAssets(dir), authMode: "jwt", logger }),
    });
    port = server.port;
    close = server.close;
  });
  afterAll(async () => {
    await close?.();
    rmSync(root, { recursive: true, force: true });
  });

  it("serves index.html at /ui/, revalidated, with a strict content security policy", async () => {
    const res = await raw(port, "/ui/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.body.toString()).toBe(INDEX);
  });

  it("redirects /ui to /ui/", async () => {
    const res = await raw(port, "/ui?x=1");
    expect([res.status, res.headers.location]).toEqual([308, "/ui/?x=1"]);
  });

  it("serves hashed assets for a year, other files revalidated, each with its type", async () => {
    const js = await raw(port, "/ui/assets/index-Ab12Cd34.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.body.toString()).toBe(APP_JS);
    const css = await raw(port, "/ui/assets/index-Ef56Gh78.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    const svg = await raw(port, "/ui/favicon.svg");
    expect([svg.status, svg.headers["content-type"], svg.headers["cache-control"]]).toEqual([
      200,
      "image/svg+xml",
      "no-cache",
    ]);
  });

  it("answers a client-side route with index.html, a missing file or asset with 404", async () => {
    for (const path of ["/ui/jobs", "/ui/jobs/job_abc/edit", "/ui/executions/job_a%3A1%3A2"]) {
      const res = await raw(port, path);
      expect([path, res.status, res.body.toString()]).toEqual([path, 200, INDEX]);
    }
    for (const path of ["/ui/assets/index-gone.js", "/ui/assets/chunk", "/ui/robots.txt"]) {
      const res = await raw(port, path);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it("never serves a file outside the folder, whatever the path says", async () => {
    const paths = [
      "/ui/../secret.txt",
      "/ui/../../secret.txt",
      "/ui/assets/../../secret.txt",
      "/ui/%2e%2e/secret.txt",
      "/ui/%2E%2E%2Fsecret.txt",
      "/ui/assets/..%2f..%2fsecret.txt",
      "/ui/..%5c..%5csecret.txt",
      "/ui/....//secret.txt",
      "/ui//etc/passwd",
      "/ui/%00secret.txt",
      "/ui/%zz",
      "/ui/./index.html",
    ];
    for (const path of paths) {
      const res = await raw(port, path);
      expect(res.body.toString(), path).not.toContain("do not serve");
      expect(res.body.toString(), path).not.toContain("root:");
      expect([200, 404], path).toContain(res.status);
      if (res.status === 200) expect(res.body.toString(), path).toBe(INDEX);
    }
    expect(assetName("/ui/%2e%2e/secret.txt")).toBeUndefined();
    expect(assetName("/ui/a/../b")).toBeUndefined();
    expect(assetName("/ui/%zz")).toBeUndefined();
    expect(assetName("/ui/")).toBe("index.html");
  });

  it("tells the UI whether auth is on at /ui/config.json", async () => {
    const res = await raw(port, "/ui/config.json");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(res.body.toString())).toEqual({ authMode: "jwt" });
  });

  it("takes GET and HEAD only", async () => {
    const head = await raw(port, "/ui/", { method: "HEAD" });
    expect([head.status, head.body.length]).toEqual([200, 0]);
    const post = await raw(port, "/ui/", { method: "POST" });
    expect([post.status, post.headers.allow]).toEqual([405, "GET, HEAD"]);
  });

  it("sends gzip when asked, and 304 for a matching ETag", async () => {
    const res = await raw(port, "/ui/assets/index-Ab12Cd34.js", {
      headers: { "accept-encoding": "gzip, br" },
    });
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(res.body).toString()).toBe(APP_JS);
    const again = await raw(port, "/ui/assets/index-Ab12Cd34.js", {
      headers: { "if-none-match": String(res.headers.etag) },
    });
    expect([again.status, again.body.length]).toEqual([304, 0]);
  });

  it("serves a rebuild without a restart, and says when the UI is not built", async () => {
    const next = INDEX.replace("Ab12Cd34", "Zz99Yy88");
    writeFileSync(join(dir, "assets", "index-Zz99Yy88.js"), APP_JS);
    // A new mtime, as a rebuild gives; some filesystems keep whole seconds.
    await new Promise((r) => setTimeout(r, 1100));
    writeFileSync(join(dir, "index.html"), next);
    expect((await raw(port, "/ui/")).body.toString()).toBe(next);
    expect((await raw(port, "/ui/assets/index-Zz99Yy88.js")).status).toBe(200);
    rmSync(join(dir, "index.html"));
    const missing = await raw(port, "/ui/");
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toContain("npm run build:ui");
  });

  it("leaves other paths to the API", async () => {
    const res = await raw(port, "/uix");
    expect(res.status).toBe(404);
    expect((await raw(port, "/healthz")).status).toBe(200);
  });

  it("looks for the build in dist/ui beside the installation's package.json by default", () => {
    expect(defaultUiDir()).toBe(new URL("../../../dist/ui", import.meta.url).pathname);
  });
});
