/**
 * A real browser for UI tests: Debian's Chromium (deploy/local/install-backends.sh)
 * driven by playwright-core, which downloads no browser. Each launch gets a
 * fresh profile folder, removed on close.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "chronoring-chromium-"));
  // Playwright passes the profile as --user-data-dir itself.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go (git-ignored). */
export function screenshotDir(): string {
  const dir = join(process.cwd(), "test-results", "ui");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The visible buttons, inputs, selects and textareas of the page without an
 * accessible name (a label, aria-label, aria-labelledby, or a button's text).
 */
export function unnamedControls(page: Page): Promise<string[]> {
  // A string: the test code is typed for Node, this runs in the page.
  return page.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll("button, input, select, textarea")) {
      if (el.offsetParent === null) continue; // hidden
      const labelled =
        el.getAttribute("aria-label")?.trim() ||
        el.getAttribute("aria-labelledby") ||
        el.labels?.length ||
        (el.tagName === "BUTTON" && el.textContent?.trim());
      if (!labelled) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  })()`);
}
