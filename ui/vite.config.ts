/**
 * The admin UI's build: `npm run build:ui` → `dist/ui/`, served by the API
 * server at `/ui/`. Hashed file names under `assets/` let the server cache
 * them for a year; index.html is revalidated on each load.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/ui/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    // The page's CSP allows scripts from its own origin only: no inline module preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    // `vite --config ui/vite.config.ts` for UI work: calls go to a running API server.
    proxy: {
      "/chronoring.v1": "http://127.0.0.1:7070",
      "/ui/config.json": "http://127.0.0.1:7070",
    },
  },
});
