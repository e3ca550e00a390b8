/**
 * The built admin UI (`npm run build:ui` → `dist/ui`), read into memory: a
 * map from each file's path below the folder to its bytes, type, ETag and
 * gzip form. Only files listed when the folder was read are ever served, so
 * no request path can reach outside it, whatever its dots or encodings.
 * The folder is read again when its index.html changes (a rebuild).
 */

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface UiAsset {
  body: Buffer;
  /** The gzip form, when it is worth sending. */
  gzip?: Buffer;
  type: string;
  etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  webp: "image/webp",
  woff2: "font/woff2",
  txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json",
};
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;

/** The content type of a file name; unknown ones are plain bytes. */
export function contentTypeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}

/** `dist/ui` of this installation: beside the package.json above this module (src/ or dist/src/). */
export function defaultUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "ui");
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), "dist", "ui");
    dir = up;
  }
}

async function filesBelow(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join("/"));
}

async function readAssets(root: string): Promise<Map<string, UiAsset>> {
  const assets = new Map<string, UiAsset>();
  for (const name of await filesBelow(root)) {
    const body = await readFile(join(root, name));
    const type = contentTypeOf(name);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
    const asset: UiAsset = { body, type, etag };
    if (body.length > 1024 && COMPRESSIBLE.test(type)) {
      const gzip = gzipSync(body, { level: 9 });
      if (gzip.length < body.length) asset.gzip = gzip;
    }
    assets.set(name, asset);
  }
  return assets;
}

export interface UiAssets {
  /** The files, or undefined when the UI is not built (no index.html). */
  current(): Promise<Map<string, UiAsset> | undefined>;
}

/** The UI's files in `root`, read on first use and again when index.html changes. */
export function uiAssets(root: string): UiAssets {
  let loaded: { mtimeMs: number; assets: Map<string, UiAsset> } | undefined;
  let loading: Promise<void> | undefined;
  const refresh = async () => {
    const index = await stat(join(root, "index.html")).catch(() => undefined);
    if (!index) {
      loaded = undefined;
      return;
    }
    if (loaded?.mtimeMs === index.mtimeMs) return;
    loaded = { mtimeMs: index.mtimeMs, assets: await readAssets(root) };
  };
  return {
    async current() {
      // One stat per request at most, shared by requests that arrive meanwhile.
      loading ??= refresh().finally(() => {
        loading = undefined;
      });
      await loading;
      return loaded?.assets;
    },
  };
}
