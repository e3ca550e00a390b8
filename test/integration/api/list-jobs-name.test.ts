/**
 * ListJobs' name filter (`name_contains`): a case-sensitive substring match,
 * alone and with the owner (which lists through the owner index), on every
 * page of a paged listing.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";

const yearly = { kind: { case: "cron" as const, value: "0 0 1 1 *" }, timeZone: "UTC" };
const noop = { kind: { case: "noop" as const, value: {} } };

describe("ListJobs by name", () => {
  let app: App;
  let client: ReturnType<typeof jobClient>;

  beforeAll(async () => {
    app = await startApp(testConfig("list-jobs-name", { ROLES: "api" }), { logger: silentLogger });
    client = jobClient(app.apiUrl!);
    const jobs = [
      ["nightly report", "team-a"],
      ["Nightly backup", "team-a"],
      ["hourly nightly-check", "team-b"],
      ["weekly report", "team-a"],
    ];
    for (const [name, owner] of jobs) {
      await client.createJob({ name, owner, schedule: yearly, target: noop });
    }
  });
  afterAll(() => app?.close());

  async function names(query: { nameContains: string; owner?: string; pageSize?: number }) {
    const found: string[] = [];
    let pageToken = "";
    do {
      const page = await client.listJobs({ ...query, pageToken });
      found.push(...page.jobs.map((j) => j.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return found.sort();
  }

  it("lists the jobs whose name contains the text, case-sensitively", async () => {
    expect(await names({ nameContains: "nightly" })).toEqual([
      "hourly nightly-check",
      "nightly report",
    ]);
    expect(await names({ nameContains: "report", pageSize: 1 })).toEqual([
      "nightly report",
      "weekly report",
    ]);
  });

  it("combines with the owner filter", async () => {
    expect(await names({ nameContains: "ightly", owner: "team-a" })).toEqual([
      "Nightly backup",
      "nightly report",
    ]);
    expect(await names({ nameContains: "nothing like it", owner: "team-a" })).toEqual([]);
  });
});
