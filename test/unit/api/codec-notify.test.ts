import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { JobTargetSchema } from "../../../gen/chronoring/v1/job_pb.js";
import { CreateJobRequestSchema } from "../../../gen/chronoring/v1/job_service_pb.js";
import { NotifyEvent } from "../../../gen/chronoring/v1/notification_pb.js";
import { jobInputFromProto, targetFromProto, targetToProto } from "../../../src/api/codec.js";
import { notificationsToProto } from "../../../src/api/codec-notify.js";
import type { ChronoringError } from "../../../src/core/errors.js";

describe("codec: webhook target, notifications, idempotency key", () => {
  it("converts a webhook target with defaults and never returns its secret", () => {
    const target = targetFromProto(
      create(JobTargetSchema, {
        kind: { case: "webhook", value: { url: "https://x.example/h", secret: "s".repeat(20) } },
      }),
    );
    expect(target).toEqual({
      type: "webhook",
      url: "https://x.example/h",
      headers: {},
      timeoutMs: 30_000,
      secret: "s".repeat(20),
    });
    const back = targetToProto(target);
    expect(back.kind.case).toBe("webhook");
    const value = back.kind.value as { secret: string; hasSecret: boolean };
    expect(value.secret).toBe("");
    expect(value.hasSecret).toBe(true);
  });

  it("reads notifications and the idempotency key of CreateJob, masking secrets on the way out", () => {
    const input = jobInputFromProto(
      create(CreateJobRequestSchema, {
        name: "n",
        owner: "o",
        schedule: { kind: { case: "cron", value: "* * * * *" } },
        target: { kind: { case: "noop", value: {} } },
        idempotencyKey: "k-1",
        notifications: {
          targets: [
            {
              events: [NotifyEvent.FAILED, NotifyEvent.DEAD],
              kind: {
                case: "webhook",
                value: { url: "https://x.example/n", secret: "t".repeat(16) },
              },
            },
            { events: [NotifyEvent.SUCCEEDED], kind: { case: "email", value: { to: ["a@b.io"] } } },
          ],
        },
      }),
    );
    expect(input.idempotencyKey).toBe("k-1");
    expect(input.notifications).toEqual([
      {
        kind: "webhook",
        events: ["failed", "dead"],
        url: "https://x.example/n",
        headers: {},
        secret: "t".repeat(16),
      },
      { kind: "email", events: ["succeeded"], to: ["a@b.io"], subjectPrefix: "[chronoring]" },
    ]);
    const out = notificationsToProto(input.notifications)!;
    const hook = out.targets[0]!.kind.value as { secret: string; hasSecret: boolean };
    expect(hook.secret).toBe("");
    expect(hook.hasSecret).toBe(true);
  });

  it("rejects an unspecified event naming the field", () => {
    try {
      jobInputFromProto(
        create(CreateJobRequestSchema, {
          schedule: { kind: { case: "cron", value: "* * * * *" } },
          target: { kind: { case: "noop", value: {} } },
          notifications: { targets: [{ events: [NotifyEvent.UNSPECIFIED] }] },
        }),
      );
      throw new Error("expected a failure");
    } catch (err) {
      expect((err as ChronoringError).field).toBe("notifications.targets[0].events");
    }
  });
});
