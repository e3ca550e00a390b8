/**
 * Bad values of the webhook target, notifications and idempotency key get
 * their documented code naming the field, against the real app (as
 * errors.test.ts does for the other fields). This server has no SMTP relay,
 * so an email target is FailedPrecondition.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobService } from "../../../gen/chronoring/v1/job_service_pb.js";
import {
  type NotificationTargetSchema,
  NotifyEvent,
} from "../../../gen/chronoring/v1/notification_pb.js";
import { type App, startApp } from "../../../src/app.js";
import { silentLogger, testConfig } from "../../support/app.js";
import { jobClient } from "../../support/client.js";

type JobClient = Client<typeof JobService>;

interface Row {
  name: string;
  call: (client: JobClient, active: string) => Promise<unknown>;
  code: Code;
  field?: string;
}

const daily = { kind: { case: "cron" as const, value: "0 3 * * *" } };
const noop = { kind: { case: "noop" as const, value: {} } };
const valid = { name: "n", owner: "notify-errors", schedule: daily, target: noop };
const webhook = (value: Record<string, unknown>) => ({
  ...valid,
  target: { kind: { case: "webhook" as const, value: { url: "https://x.example/h", ...value } } },
});
const hook = (value: Record<string, unknown>, events = [NotifyEvent.FAILED]) => ({
  events,
  kind: { case: "webhook" as const, value: { url: "https://x.example/n", ...value } },
});
type TargetInit = Omit<MessageInitShape<typeof NotificationTargetSchema>, "$typeName">;
const withTargets = (targets: TargetInit[]) => ({
  ...valid,
  notifications: { targets },
});

const rows: Row[] = [
  // ---- webhook target
  {
    name: "CreateJob with a webhook target without a URL",
    call: (c) => c.createJob(webhook({ url: "" })),
    code: Code.InvalidArgument,
    field: "target.webhook.url",
  },
  {
    name: "CreateJob with a webhook secret of 5 characters",
    call: (c) => c.createJob(webhook({ secret: "short" })),
    code: Code.InvalidArgument,
    field: "target.webhook.secret",
  },
  {
    name: "CreateJob with a webhook payload that is not JSON",
    call: (c) => c.createJob(webhook({ payload: "{nope" })),
    code: Code.InvalidArgument,
    field: "target.webhook.payload",
  },
  {
    name: "CreateJob with a webhook timeout over 15 min",
    call: (c) => c.createJob(webhook({ timeout: { seconds: 901n, nanos: 0 } })),
    code: Code.InvalidArgument,
    field: "target.webhook.timeout",
  },
  {
    name: "CreateJob with a webhook header name containing a space",
    call: (c) => c.createJob(webhook({ headers: { "a b": "c" } })),
    code: Code.InvalidArgument,
    field: "target.webhook.headers",
  },
  // ---- idempotency key
  {
    name: "CreateJob with an idempotency key containing a space",
    call: (c) => c.createJob({ ...valid, idempotencyKey: "a b" }),
    code: Code.InvalidArgument,
    field: "idempotency_key",
  },
  {
    name: "CreateJob with an idempotency key of 129 characters",
    call: (c) => c.createJob({ ...valid, idempotencyKey: "k".repeat(129) }),
    code: Code.InvalidArgument,
    field: "idempotency_key",
  },
  // ---- notifications
  {
    name: "CreateJob with a notification target without events",
    call: (c) => c.createJob(withTargets([hook({}, [])])),
    code: Code.InvalidArgument,
    field: "notifications.targets[0].events",
  },
  {
    name: "CreateJob with an UNSPECIFIED notification event",
    call: (c) => c.createJob(withTargets([hook({}, [NotifyEvent.UNSPECIFIED])])),
    code: Code.InvalidArgument,
    field: "notifications.targets[0].events",
  },
  {
    name: "CreateJob with a notification target of no kind",
    call: (c) => c.createJob(withTargets([{ events: [NotifyEvent.FAILED] }])),
    code: Code.InvalidArgument,
    field: "notifications.targets[0]",
  },
  {
    name: "CreateJob with a notification webhook URL that is not http(s)",
    call: (c) => c.createJob(withTargets([hook({ url: "mailto:x@y.z" })])),
    code: Code.InvalidArgument,
    field: "notifications.targets[0].webhook.url",
  },
  {
    name: "CreateJob with a short notification webhook secret",
    call: (c) => c.createJob(withTargets([hook({}), hook({ secret: "x" })])),
    code: Code.InvalidArgument,
    field: "notifications.targets[1].webhook.secret",
  },
  {
    name: "CreateJob with 11 notification targets",
    call: (c) => c.createJob(withTargets(Array.from({ length: 11 }, () => hook({})))),
    code: Code.InvalidArgument,
    field: "notifications.targets",
  },
  {
    name: "CreateJob with an email target whose address is bad",
    call: (c) =>
      c.createJob(
        withTargets([
          { events: [NotifyEvent.DEAD], kind: { case: "email", value: { to: ["nobody"] } } },
        ]),
      ),
    code: Code.InvalidArgument,
    field: "notifications.targets[0].email.to[0]",
  },
  {
    name: "CreateJob with an email target on a server without SMTP",
    call: (c) =>
      c.createJob(
        withTargets([
          { events: [NotifyEvent.DEAD], kind: { case: "email", value: { to: ["a@b.io"] } } },
        ]),
      ),
    code: Code.FailedPrecondition,
  },
  {
    name: "UpdateJob setting a bad notification URL reports job.notifications...",
    call: (c, active) =>
      c.updateJob({
        job: { id: active, notifications: { targets: [hook({ url: "nope" })] } },
        updateMask: { paths: ["notifications"] },
      }),
    code: Code.InvalidArgument,
    field: "job.notifications.targets[0].webhook.url",
  },
  {
    name: "UpdateJob adding an email target on a server without SMTP",
    call: (c, active) =>
      c.updateJob({
        job: {
          id: active,
          notifications: {
            targets: [
              { events: [NotifyEvent.FAILED], kind: { case: "email", value: { to: ["a@b.io"] } } },
            ],
          },
        },
        updateMask: { paths: ["notifications"] },
      }),
    code: Code.FailedPrecondition,
  },
];

describe("bad webhook, notification and idempotency inputs get their code and name the field", () => {
  let app: App;
  let client: JobClient;
  let active = "";

  beforeAll(async () => {
    app = await startApp(testConfig("notify-errors", { ROLES: "api", ETCD_ENDPOINTS: "" }), {
      logger: silentLogger,
    });
    client = jobClient(app.apiUrl!);
    active = (await client.createJob(valid)).job!.id;
  });
  afterAll(() => app?.close());

  for (const row of rows) {
    const title = `${row.name} → ${Code[row.code]}${row.field ? ` on ${row.field}` : ""}`;
    it(title, async () => {
      const err = await row.call(client, active).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      const ce = err as ConnectError;
      expect(Code[ce.code], ce.rawMessage).toBe(Code[row.code]);
      if (row.field !== undefined)
        expect(ce.rawMessage.startsWith(`${row.field}: `), ce.rawMessage).toBe(true);
    });
  }
});
