/**
 * The webhook job type and run-outcome notifications, end to end in one
 * process (api + scheduler + worker) on DynamoDB Local and the SQS emulator,
 * with a local HTTP receiver and a local SMTP server (smtp-server) started here.
 */

import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecutionStatus } from "../../../gen/chronoring/v1/execution_pb.js";
import { NotifyEvent } from "../../../gen/chronoring/v1/notification_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { verifySignature } from "../../../src/notify/signature.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";
import { type Received, type Receiver, startReceiver } from "../../support/receiver.js";
import { waitFor } from "../../support/wait.js";

const JOB_SECRET = "whsec_job_0123456789";
const NOTIFY_SECRET = "whsec_notify_0123456789";

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

describe("webhook jobs and notifications", () => {
  let app: App;
  let http: Receiver;
  let smtp: SMTPServer;
  let base: string;
  let client: ReturnType<typeof jobClient>;
  const received: Received[] = [];
  const mails: Mail[] = [];
  /** Per path: how many requests answer 500 before it answers 200. */
  const failFirst = new Map<string, number>();

  beforeAll(async () => {
    http = await startReceiver((request) => {
      const { path } = request;
      received.push(request);
      const left = failFirst.get(path) ?? 0;
      if (left > 0) failFirst.set(path, left - 1);
      return left > 0 || path === "/always-500" ? 500 : 200;
    });
    base = http.base;

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (c: Buffer) => {
          raw += c.toString("utf8");
        });
        stream.on("end", () => {
          const from = session.envelope.mailFrom;
          mails.push({
            from: from ? from.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    const smtpPort = (smtp.server.address() as AddressInfo).port;

    const config = testConfig("notify", {
      ETCD_ENDPOINTS: "",
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_FROM: "chronoring@test.local",
      NOTIFY_ATTEMPTS: "4",
      NOTIFY_BACKOFF_MS: "50",
    });
    app = await startApp(config, { logger: silentLogger });
    client = jobClient(app.apiUrl!);
  });
  afterAll(async () => {
    await app?.close();
    await http?.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  const now = { kind: { case: "after" as const, value: { seconds: 0n, nanos: 0 } } };
  const webhookTarget = (path: string) => ({
    kind: {
      case: "webhook" as const,
      value: { url: `${base}${path}`, secret: JOB_SECRET, payload: '{"report":"daily"}' },
    },
  });

  async function finished(jobId: string) {
    return waitFor(`a finished run of ${jobId}`, async () => {
      const { executions } = await client.listExecutions({ jobId });
      return executions.find(
        (e) => e.status === ExecutionStatus.SUCCEEDED || e.status === ExecutionStatus.FAILED,
      );
    });
  }

  it("a webhook job POSTs a signed envelope carrying the execution id; GetJob hides the secret", async () => {
    const { job } = await client.createJob({
      name: "webhook job",
      owner: "notify",
      schedule: now,
      target: webhookTarget("/job"),
    });
    const execution = await finished(job!.id);
    expect(execution.status).toBe(ExecutionStatus.SUCCEEDED);
    const req = received.find((r) => r.path === "/job")!;
    const envelope = JSON.parse(req.body) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      jobId: job!.id,
      executionId: execution.id,
      attempt: 1,
      payload: { report: "daily" },
    });
    expect(req.headers["chronoring-execution-id"]).toBe(execution.id);
    const check = verifySignature(
      JOB_SECRET,
      req.body,
      req.headers["chronoring-signature"] as string,
      Math.floor(Date.now() / 1000),
    );
    expect(check.ok).toBe(true);

    const stored = (await client.getJob({ id: job!.id })).job!;
    const target = stored.target!.kind;
    expect(target.case).toBe("webhook");
    expect(target.value).toMatchObject({ secret: "", hasSecret: true });
  });

  it("on success: a signed notification webhook, retried after a 500, and an email", async () => {
    failFirst.set("/notify-ok", 1);
    const { job } = await client.createJob({
      name: "nightly export",
      owner: "notify",
      schedule: now,
      target: webhookTarget("/job-2"),
      notifications: {
        targets: [
          {
            events: [NotifyEvent.SUCCEEDED],
            kind: {
              case: "webhook",
              value: { url: `${base}/notify-ok`, secret: NOTIFY_SECRET, headers: { "X-Env": "t" } },
            },
          },
          {
            events: [NotifyEvent.SUCCEEDED, NotifyEvent.FAILED],
            kind: { case: "email", value: { to: ["ops@example.com"], subjectPrefix: "[test]" } },
          },
          {
            // Not subscribed to success: must not be called.
            events: [NotifyEvent.FAILED],
            kind: { case: "webhook", value: { url: `${base}/notify-never` } },
          },
        ],
      },
    });
    const execution = await finished(job!.id);
    expect(execution.status).toBe(ExecutionStatus.SUCCEEDED);

    const hooks = await waitFor("the retried notification", () => {
      const list = received.filter((r) => r.path === "/notify-ok");
      return list.length >= 2 ? list : undefined;
    });
    const last = hooks[1]!;
    expect(
      verifySignature(
        NOTIFY_SECRET,
        last.body,
        last.headers["chronoring-signature"] as string,
        Math.floor(Date.now() / 1000),
      ).ok,
    ).toBe(true);
    expect(last.headers["x-env"]).toBe("t");
    expect(last.headers["chronoring-event"]).toBe("succeeded");
    expect(JSON.parse(last.body)).toMatchObject({
      event: "succeeded",
      jobId: job!.id,
      jobName: "nightly export",
      executionId: execution.id,
      status: "SUCCEEDED",
    });

    const mail = await waitFor("the email", () => mails.find((m) => m.raw.includes(execution.id)));
    expect(mail.to).toEqual(["ops@example.com"]);
    expect(mail.from).toBe("chronoring@test.local");
    expect(mail.raw).toMatch(/^Subject: \[test\] nightly export: run succeeded\r?$/m);
    expect(received.some((r) => r.path === "/notify-never")).toBe(false);

    // GetJob shows the targets with secrets masked.
    const stored = (await client.getJob({ id: job!.id })).job!;
    const first = stored.notifications!.targets[0]!.kind;
    expect(first.value).toMatchObject({ secret: "", hasSecret: true });
  });

  it("on failure: a failed notification, and a receiver that keeps failing is given up on", async () => {
    const { job } = await client.createJob({
      name: "failing job",
      owner: "notify",
      schedule: now,
      target: webhookTarget("/always-500"),
      notifications: {
        targets: [
          {
            events: [NotifyEvent.FAILED],
            kind: { case: "webhook", value: { url: `${base}/notify-failed` } },
          },
          {
            events: [NotifyEvent.FAILED],
            kind: { case: "webhook", value: { url: `${base}/always-500` } },
          },
        ],
      },
    });
    const execution = await finished(job!.id);
    expect(execution.status).toBe(ExecutionStatus.FAILED);
    const note = await waitFor("the failure notification", () =>
      received.find((r) => r.path === "/notify-failed"),
    );
    expect(JSON.parse(note.body)).toMatchObject({ event: "failed", executionId: execution.id });
    // 1 run + 4 notification tries, then a metric says it gave up.
    await waitFor("the notifier to give up", async () => {
      const text = await app.registry.metrics();
      return /chronoring_notifications_total\{channel="webhook",outcome="failed"\} [1-9]/.test(text)
        ? true
        : undefined;
    });
    expect(received.filter((r) => r.path === "/always-500")).toHaveLength(1 + 4);
  });

  it("UpdateJob replaces the notifications through the mask path `notifications`", async () => {
    const { job } = await client.createJob({
      name: "later",
      owner: "notify",
      schedule: { kind: { case: "cron", value: "0 3 * * *" } },
      target: { kind: { case: "noop", value: {} } },
    });
    const { job: updated } = await client.updateJob({
      job: {
        id: job!.id,
        notifications: {
          targets: [
            { events: [NotifyEvent.DEAD], kind: { case: "webhook", value: { url: `${base}/d` } } },
          ],
        },
      },
      updateMask: { paths: ["notifications"] },
    });
    expect(updated!.notifications!.targets).toHaveLength(1);
    const { job: cleared } = await client.updateJob({
      job: { id: job!.id },
      updateMask: { paths: ["notifications"] },
    });
    expect(cleared!.notifications).toBeUndefined();
  });
});
