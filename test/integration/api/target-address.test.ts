/**
 * SSRF protection at create/update time, through the real API over gRPC on
 * DynamoDB Local: every internal address form in a job's `http` or `webhook`
 * URL, a notification webhook's URL or a workflow node's URL is refused with
 * InvalidArgument naming the field; host names, public addresses and what
 * CHRONORING_TARGET_ALLOW admits are accepted. The process runs the API role
 * only, so no accepted job is ever called.
 */

import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotifyEvent } from "../../../gen/chronoring/v1/notification_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { connectErrorOf, jobClient, workflowClient } from "../../support/client.js";

/** Every refused form, as a URL; WHATWG URL normalises some spellings, the API sees them all. */
const REFUSED = [
  "http://127.0.0.1:8080/",
  "http://127.0.0.3/",
  "http://10.0.0.1/",
  "http://172.16.5.4/",
  "http://192.168.1.1/",
  "http://169.254.169.254/latest/meta-data",
  "http://100.64.0.1/",
  "http://0.0.0.0/",
  "http://224.0.0.1/",
  "http://255.255.255.255/",
  "http://240.0.0.1/",
  "http://2130706433/",
  "http://0177.0.0.1/",
  "http://0x7f.1/",
  "http://127.1/",
  "http://0xa9fea9fe/",
  "http://[::1]/",
  "http://[::]/",
  "http://[fe80::1]/",
  "http://[fd00::1]/",
  "http://[ff02::1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::127.0.0.1]/",
  "http://[64:ff9b::a9fe:a9fe]/",
  "http://[2002:a9fe:a9fe::]/",
  "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
];

/** Accepted: host names (judged at connect time), public addresses, allow-list hits. */
const ACCEPTED = [
  "https://example.com/hook",
  "http://localhost:8080/",
  "https://93.184.216.34/",
  "https://[2606:4700::1]/",
  "http://127.0.0.2:9000/",
  "http://10.20.1.1/",
  "http://hooks.internal/",
];

const daily = { kind: { case: "cron" as const, value: "0 3 * * *" } };
const noop = { kind: { case: "noop" as const, value: {} } };
const http = (url: string) => ({ kind: { case: "http" as const, value: { method: "GET", url } } });
const webhook = (url: string) => ({ kind: { case: "webhook" as const, value: { url } } });
const notifyTo = (url: string) => ({
  targets: [
    {
      events: [NotifyEvent.FAILED],
      kind: { case: "webhook" as const, value: { url } },
    },
  ],
});

describe("targets pointing at internal addresses are refused at create and update", () => {
  let app: App;
  let jobs: ReturnType<typeof jobClient>;
  let workflows: ReturnType<typeof workflowClient>;
  let existing: string;

  beforeAll(async () => {
    app = await startApp(
      testConfig("ssrf-api", {
        ROLES: "api",
        ETCD_ENDPOINTS: "",
        TARGET_ALLOW: "127.0.0.2/32,10.20.0.0/16,hooks.internal",
      }),
      { logger: silentLogger },
    );
    jobs = jobClient(app.apiUrl!);
    workflows = workflowClient(app.apiUrl!);
    const { job } = await jobs.createJob({
      name: "j",
      owner: "ssrf",
      schedule: daily,
      target: noop,
    });
    existing = job!.id;
  });
  afterAll(() => app?.close());

  const base = { name: "ssrf", owner: "ssrf", schedule: daily };

  /** [place, the call with `url` in it, the field the message must start with] */
  const places: Array<[string, (url: string) => Promise<unknown>, string]> = [
    ["CreateJob http", (url) => jobs.createJob({ ...base, target: http(url) }), "target.http.url"],
    [
      "CreateJob webhook",
      (url) => jobs.createJob({ ...base, target: webhook(url) }),
      "target.webhook.url",
    ],
    [
      "CreateJob notification webhook",
      (url) => jobs.createJob({ ...base, target: noop, notifications: notifyTo(url) }),
      "notifications.targets[0].webhook.url",
    ],
    [
      "UpdateJob target",
      (url) =>
        jobs.updateJob({
          job: { id: existing, target: http(url) },
          updateMask: { paths: ["target"] },
        }),
      "job.target.http.url",
    ],
    [
      "UpdateJob notifications",
      (url) =>
        jobs.updateJob({
          job: { id: existing, notifications: notifyTo(url) },
          updateMask: { paths: ["notifications"] },
        }),
      "job.notifications.targets[0].webhook.url",
    ],
    [
      "CreateWorkflow node",
      (url) =>
        workflows.createWorkflow({
          ...base,
          nodes: [{ key: "a", name: "", target: webhook(url), dependsOn: [] }],
        }),
      "nodes[0].target.webhook.url",
    ],
  ];

  describe.each(places)("%s", (_, call, field) => {
    it.each(REFUSED)(`%s → InvalidArgument on ${field}`, async (url) => {
      const err = await connectErrorOf(call(url));
      expect(Code[err.code], err.rawMessage).toBe("InvalidArgument");
      expect(err.rawMessage).toMatch(
        new RegExp(
          `^${field.replace(/[.[\]]/g, "\\$&")}: points at an? .+, which targets may not reach$`,
        ),
      );
    });

    it.each(ACCEPTED)("%s is accepted", async (url) => {
      await call(url);
    });
  });

  it("says which range, e.g. the cloud metadata address", async () => {
    const err = await connectErrorOf(
      jobs.createJob({ ...base, target: http("http://169.254.169.254/latest/meta-data") }),
    );
    expect(err.rawMessage).toBe(
      "target.http.url: points at a link-local address (169.254.0.0/16), which targets may not reach",
    );
    const mapped = await connectErrorOf(
      jobs.createJob({ ...base, target: http("http://[::ffff:10.1.2.3]/") }),
    );
    expect(mapped.rawMessage).toBe(
      "target.http.url: points at an IPv4-mapped address (::ffff:0:0/96) of 10.1.2.3, a private address (10.0.0.0/8), which targets may not reach",
    );
  });

  it("leaves the job unchanged when an update is refused", async () => {
    const before = (await jobs.getJob({ id: existing })).job!;
    await connectErrorOf(
      jobs.updateJob({
        job: { id: existing, target: http("http://10.0.0.1/") },
        updateMask: { paths: ["target"] },
      }),
    );
    const after = (await jobs.getJob({ id: existing })).job!;
    expect(after.version).toBe(before.version);
    expect(after.target).toEqual(before.target);
  });
});
