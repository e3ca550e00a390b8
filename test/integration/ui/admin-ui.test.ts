/**
 * The admin UI in a real browser (Debian's Chromium through playwright-core)
 * against the real app (api, scheduler and worker in this process on the test
 * backends), auth on. In the integration project: one process with the real
 * backends, like the other API tests; nothing is killed, so it is not e2e.
 *
 * It signs in by pasting a token, creates an every-second job in the UI and
 * sees its runs and their timeline, pauses it with a note (shown with who
 * paused it, and in the fire ledger), resumes it from the keyboard,
 * triggers it, redrives a dead run, and checks the cluster page and the fire
 * stats picture; sets a flexible window in the job form and sees each next
 * fire time's window end; every control has an accessible name; a refused token goes
 * back to sign-in with the reason; screenshots at desktop and 390 px wide.
 */

import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterService } from "../../../gen/chronoring/v1/dead_letter_service_pb.js";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import { RetryStrategy } from "../../../gen/chronoring/v1/retry_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig, untilOwning } from "../../support/app.js";
import { type TestAuth, testAuth } from "../../support/auth.js";
import {
  launchBrowser,
  screenshotDir,
  type TestBrowser,
  unnamedControls,
} from "../../support/browser.js";
import { tenantClients } from "../../support/tenants.js";
import { waitFor } from "../../support/wait.js";

const TENANT = "ui-test";

/** A loopback port nothing listens on: a connection to it is refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the admin UI in a browser", () => {
  let auth: TestAuth;
  let app: App;
  let browser: TestBrowser;
  let base: string;
  let token: string;

  beforeAll(async () => {
    // The built UI the server serves: built now when missing or older than ui/.
    execFileSync("bash", ["deploy/local/ensure-ui.sh"], { stdio: "ignore" });
    auth = await testAuth();
    const config = testConfig("ui", { ...auth.settings, FIRE_STATS_FLUSH_MS: "500" });
    app = await startApp(config, { logger: silentLogger });
    await untilOwning(app, config.store.partitions);
    base = app.apiUrl!;
    token = await auth.token({ tenant: TENANT, roles: ["admin"], sub: "ui-admin", ttlS: 600 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    auth?.cleanup();
  });

  it("signs in with a pasted token, then creates, watches, pauses, resumes and triggers a job", async () => {
    const { page } = browser;
    const shots = screenshotDir();
    await page.goto(`${base}/ui/`);
    await page.getByLabel("Access token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("chronoring.token")')).toBe(token);

    await page.getByRole("button", { name: "New job" }).click();
    const form = page.getByRole("form", { name: "New job" });
    await form.getByLabel("Name", { exact: true }).fill("ui every second");
    await form.getByLabel("Owner").fill("ui");
    await form.getByLabel("Schedule", { exact: true }).fill("1s");
    await form.getByLabel("Tags (comma-separated)").fill("ui, browser");
    await form.getByRole("button", { name: "Create job" }).click();
    await page.getByRole("heading", { name: "ui every second" }).waitFor();
    const jobId = decodeURIComponent(page.url().split("/ui/jobs/")[1] ?? "");
    expect(jobId).not.toBe("");

    // Runs appear (the list polls), with the timeline and the next fire times.
    await page.locator("table.runs .s-succeeded").first().waitFor({ timeout: 20_000 });
    await page.locator("[data-testid=run-timeline] rect.took").first().waitFor();
    expect(await page.locator("ol.fires li").count()).toBeGreaterThan(0);
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "job-desktop.png"), fullPage: true });

    // Pause with a note: who paused and why show on the page and in GetJob.
    await page.getByLabel("Pause or resume note").fill("ui maintenance");
    await page.getByRole("button", { name: "Pause" }).click();
    await page.locator("dl.spec .s-paused").waitFor();
    await page.locator("dl.spec .note", { hasText: "by ui-admin: ui maintenance" }).waitFor();
    const jobs = tenantClients(auth)(JobService, base, TENANT);
    const paused = (await jobs.getJob({ id: jobId })).job;
    expect(paused?.status).toBe(2); // PAUSED
    expect(paused?.pause).toMatchObject({ pausedBy: "ui-admin", note: "ui maintenance" });
    // Long enough for a few of its every-second times to fall in the pause.
    await new Promise((r) => setTimeout(r, 2500));

    // Resume from the keyboard: Tab to the button, Enter.
    await page.locator("body").focus();
    let focused = "";
    for (let i = 0; i < 30 && focused !== "Resume"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate('document.activeElement?.textContent?.trim() ?? ""');
    }
    expect(focused).toBe("Resume");
    await page.keyboard.press("Enter");
    await page.locator("dl.spec .s-active").waitFor();
    // The fire ledger of the last 24 hours: runs started, and the times the pause held back.
    const ledger = page.locator("table.ledger");
    await ledger.locator(".o-SKIPPED_PAUSED").first().waitFor({ timeout: 30_000 });
    await ledger.locator(".o-STARTED").first().waitFor();
    await ledger
      .locator(".note", { hasText: "paused by ui-admin: ui maintenance" })
      .first()
      .waitFor();
    await page.locator(".ledger-counts .o-SKIPPED_PAUSED").waitFor();

    await page.getByRole("button", { name: "Pause" }).click();
    await page.locator("dl.spec .s-paused").waitFor();
    await page.getByRole("button", { name: "Trigger now" }).click();
    await page.getByRole("status").filter({ hasText: "Trigger: done" }).waitFor();
    await page.locator("table.runs .note", { hasText: "manual" }).first().waitFor();

    // Edit: name, tags, priority, and the target to an HTTP URL.
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit job" });
    await edit.getByLabel("Name", { exact: true }).fill("ui renamed");
    await edit.getByLabel("Tags (comma-separated)").fill("ui, edited");
    await edit.getByLabel("Priority").selectOption({ label: "high" });
    await edit.getByLabel("Target").selectOption("http");
    await edit.getByLabel("Target URL").fill("http://127.0.0.1:9/hook");
    await edit.getByLabel("Pause after failed runs in a row").fill("4");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { name: "ui renamed" }).waitFor();
    const edited = (await jobs.getJob({ id: jobId })).job!;
    expect([
      edited.name,
      edited.tags,
      edited.priority,
      edited.target?.kind.case,
      edited.pauseAfterFailures,
    ]).toEqual([
      "ui renamed",
      ["ui", "edited"],
      1, // HIGH
      "http",
      4,
    ]);
    // The failure policy and the run limit on the job page.
    await page.locator("dl.spec .note", { hasText: "pauses after 4" }).waitFor();
    await page.locator("dl.spec dt", { hasText: "Failed runs in a row" }).waitFor();
    await page.locator("dl.spec dd", { hasText: "no limit" }).waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, "job-narrow.png"), fullPage: true });
    // Nothing wider than the screen but the tables, which scroll in their own box.
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
    await jobs.deleteJob({ id: jobId });
  });

  it("redrives a dead run", async () => {
    const { page } = browser;
    const jobs = tenantClients(auth)(JobService, base, TENANT);
    const dead = tenantClients(auth)(DeadLetterService, base, TENANT);
    const { job } = await jobs.createJob({
      name: "refused",
      owner: "ui",
      schedule: { kind: { case: "after", value: { seconds: 0n, nanos: 0 } } },
      target: {
        kind: {
          case: "http",
          value: { method: "POST", url: `http://127.0.0.1:${await refusedPort()}/` },
        },
      },
      retryPolicy: { strategy: RetryStrategy.ALWAYS, maxRetries: 0 },
    });
    const deadRun = await waitFor("the run to die", async () => {
      const list = await dead.listDeadRuns({ jobId: job!.id });
      return list.executions[0];
    });
    expect(deadRun.status).toBe(ExecutionStatus.DEAD);

    await page.getByRole("link", { name: "Dead runs" }).click();
    await page.getByRole("button", { name: `Redrive run ${deadRun.id}` }).click();
    await page.getByRole("status").filter({ hasText: "Redrive: done" }).waitFor();
    // A new attempt of the run: it left the dead list (and fails again on the refused port).
    await waitFor("the redriven attempt", async () => {
      const runs = await jobs.listExecutions({ jobId: job!.id });
      return runs.executions.some((e) => e.attempt > deadRun.attempt) ? true : undefined;
    });
    expect(await unnamedControls(page)).toEqual([]);
  });

  it("shows the cluster: members, leader, the partition map and the workers", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Cluster" }).click();
    await page.locator("[data-testid=partition-map] rect").first().waitFor();
    expect(await page.locator("[data-testid=partition-map] rect").count()).toBe(256);
    const members = page.locator("[data-testid=members]");
    await expect.poll(() => members.textContent()).toContain("worker");
    expect(await members.textContent()).toContain("scheduler");
    expect(await page.locator(".note", { hasText: "leader" }).count()).toBe(1);
    await page
      .getByRole("button", { name: /^Pause worker / })
      .first()
      .waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: join(screenshotDir(), "cluster-desktop.png"), fullPage: true });
  });

  it("draws the fire rate and lateness of the last hour from GetFireStats", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Jobs" }).click();
    const chart = page.locator("[data-testid=fire-stats]");
    await chart.waitFor();
    expect(await chart.locator("rect.fires-bar").count()).toBe(60);
    await expect
      .poll(async () =>
        Number((await page.locator("figcaption strong").first().textContent()) ?? 0),
      )
      .toBeGreaterThan(0);
    await page.screenshot({ path: join(screenshotDir(), "jobs-desktop.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(screenshotDir(), "jobs-narrow.png"), fullPage: true });
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("creates, edits and deletes a calendar", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Calendars" }).click();
    await page.getByRole("button", { name: "New calendar" }).click();
    const form = page.getByRole("form", { name: "New calendar" });
    await form.getByLabel("Name").fill("holidays");
    await form.getByLabel("Excluded dates (YYYY-MM-DD, comma-separated)").fill("2026-12-25");
    await form.getByLabel("sunday").check();
    await form.getByRole("button", { name: "Create calendar" }).click();
    await page.getByRole("heading", { name: "holidays" }).waitFor();
    await page.getByRole("button", { name: "Edit calendar holidays" }).click();
    const edit = page.getByRole("form", { name: "Edit calendar" });
    await edit
      .getByLabel("Excluded dates (YYYY-MM-DD, comma-separated)")
      .fill("2026-12-25, 2027-01-01");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByText("Excluded dates: 2026-12-25, 2027-01-01; weekdays: sunday").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete calendar holidays" }).click();
    await page.getByText("No calendars.").waitFor();
  });

  it("creates a job with a flexible window, shows it with each fire time's window end, and edits it", async () => {
    const { page } = browser;
    await page.goto(`${base}/ui/jobs`);
    const signIn = page.getByLabel("Access token");
    if (await signIn.isVisible()) {
      await signIn.fill(token);
      await page.getByRole("button", { name: "Sign in" }).click();
    }
    await page.getByRole("button", { name: "New job" }).click();
    const form = page.getByRole("form", { name: "New job" });
    await form.getByLabel("Name", { exact: true }).fill("ui hourly spread");
    await form.getByLabel("Owner").fill("ui");
    await form.getByLabel("Schedule kind").selectOption("cron");
    await form.getByLabel("Schedule", { exact: true }).fill("0 * * * *");
    await form.getByLabel("Flexible window (seconds)").fill("90");
    await form.getByRole("button", { name: "Create job" }).click();
    await page.getByRole("heading", { name: "ui hourly spread" }).waitFor();
    const jobId = decodeURIComponent(page.url().split("/ui/jobs/")[1] ?? "");
    await page.locator("dl.spec dd", { hasText: "1.5 min" }).waitFor();
    // Each next fire time with its window's end, 90 s later, and the note.
    const first = page.locator("ol.fires li").first();
    await first.locator(".window").waitFor();
    const [start, end] = await first.locator("time").allTextContents();
    expect(Date.parse(end!.replace(" ", "T")) - Date.parse(start!.replace(" ", "T"))).toBe(90_000);
    await first.locator(".note", { hasText: "flexible window 1 min 30 s" }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);

    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit job" });
    expect(await edit.getByLabel("Flexible window (seconds)").inputValue()).toBe("90");
    await edit.getByLabel("Flexible window (seconds)").fill("");
    await edit.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    const jobs = tenantClients(auth)(JobService, base, TENANT);
    expect((await jobs.getJob({ id: jobId })).job?.schedule?.flexibleWindow).toBeUndefined();
    await jobs.deleteJob({ id: jobId });
  });

  it("sends a refused token back to sign-in with the reason", async () => {
    const { page } = browser;
    const expired = await auth.token({
      tenant: TENANT,
      roles: ["admin"],
      nowMs: Date.now() - 3_600_000,
      ttlS: 60,
    });
    await page.evaluate(`sessionStorage.setItem("chronoring.token", ${JSON.stringify(expired)})`);
    await page.goto(`${base}/ui/cluster`);
    await page.getByRole("alert").filter({ hasText: "Signed out:" }).waitFor();
    await page.getByLabel("Access token").waitFor();
    expect(await page.evaluate('sessionStorage.getItem("chronoring.token")')).toBeNull();
  });
});
