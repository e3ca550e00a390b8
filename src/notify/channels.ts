/**
 * The two ways a notification leaves: a signed HTTP POST and an email over
 * SMTP. Each sends once and throws on failure; retries are the caller's.
 */

import nodemailer from "nodemailer";
import type { Dispatcher } from "undici";
import type { Execution } from "../core/execution.js";
import type { Job } from "../core/job.js";
import type { EmailNotification, NotifyEvent, WebhookNotification } from "../core/notification.js";
import { currentPause } from "../core/pause.js";
import { fetchTarget, redirectNote, targetRefusal } from "../worker/handlers/safe-dispatcher.js";
import { Permanent } from "./retry.js";
import { SIGNATURE_HEADER, signBody } from "./signature.js";

export const EVENT_HEADER = "Chronoring-Event";
const EXECUTION_ID_HEADER = "Chronoring-Execution-Id";
const WEBHOOK_TIMEOUT_MS = 10_000;

/** The JSON body of a notification webhook. */
export interface NotificationBody {
  event: NotifyEvent;
  jobId: string;
  jobName: string;
  executionId: string;
  /** RFC 3339. */
  scheduledTime: string;
  attempt: number;
  status: Execution["status"];
  result?: string;
  error?: string;
  endTime?: string;
  /** paused: the failed runs in a row that paused it; recovered: those the success ended. */
  consecutiveFailures?: number;
  /** paused: who paused it (`system:pause-after-failures`) and the pause's note. */
  pausedBy?: string;
  pauseNote?: string;
}

/** What a job event (paused, recovered) adds to the run's fields; nothing for a run event. */
function jobEventFields(event: NotifyEvent, job: Job): Partial<NotificationBody> {
  if (event !== "paused" && event !== "recovered") return {};
  const fields: Partial<NotificationBody> = { consecutiveFailures: job.consecutiveFailures ?? 0 };
  const pause = event === "paused" ? currentPause(job.pauses) : undefined;
  if (pause) {
    fields.pausedBy = pause.by;
    if (pause.note) fields.pauseNote = pause.note;
  }
  return fields;
}

export function notificationBody(event: NotifyEvent, job: Job, execution: Execution): string {
  const body: NotificationBody = {
    event,
    jobId: job.id,
    jobName: job.name,
    executionId: execution.id,
    scheduledTime: new Date(execution.scheduledMs).toISOString(),
    attempt: execution.attempt,
    status: execution.status,
  };
  if (execution.result !== undefined) body.result = execution.result;
  if (execution.error !== undefined) body.error = execution.error;
  if (execution.endedMs !== undefined) body.endTime = new Date(execution.endedMs).toISOString();
  return JSON.stringify({ ...body, ...jobEventFields(event, job) });
}

/**
 * One POST through `dispatcher` (the SSRF check, see safe-dispatcher.ts); a
 * network error, 429 or 5xx is worth retrying; a refused address, a redirect
 * (not followed) or another non-2xx is not.
 */
export async function postWebhook(
  target: WebhookNotification,
  event: NotifyEvent,
  body: string,
  executionId: string,
  nowS: number,
  dispatcher: Dispatcher,
): Promise<void> {
  const headers = new Headers(target.headers);
  headers.set("content-type", "application/json");
  headers.set(EVENT_HEADER, event);
  headers.set(EXECUTION_ID_HEADER, executionId);
  if (target.secret) headers.set(SIGNATURE_HEADER, signBody(target.secret, body, nowS));
  let response: Response;
  try {
    response = await fetchTarget(dispatcher, target.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    const refused = targetRefusal(err);
    throw refused ? new Permanent(refused.message) : err;
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return;
  const redirect = redirectNote(response, target.url);
  const message = `HTTP ${response.status} from ${target.url}${redirect ? ` (${redirect})` : ""}`;
  if (response.status === 429 || response.status >= 500) throw new Error(message);
  throw new Permanent(message);
}

export interface SmtpOptions {
  /** e.g. smtp://user:pass@relay:587 or smtps://relay:465 */
  url: string;
  from: string;
}

export type EmailSender = (
  target: EmailNotification,
  event: NotifyEvent,
  job: Job,
  execution: Execution,
) => Promise<void>;

/** An email sender over one pooled SMTP transport. */
export function createEmailSender(smtp: SmtpOptions): EmailSender & { close(): void } {
  const transport = nodemailer.createTransport(smtp.url);
  const send: EmailSender = async (target, event, job, execution) => {
    const lines = [
      `Job: ${job.name} (${job.id})`,
      `Event: ${event}`,
      `Execution: ${execution.id}`,
      `Scheduled: ${new Date(execution.scheduledMs).toISOString()}`,
      `Attempt: ${execution.attempt}`,
      `Status: ${execution.status}`,
    ];
    const extra = jobEventFields(event, job);
    if (extra.consecutiveFailures !== undefined) {
      lines.push(`Failed runs in a row: ${extra.consecutiveFailures}`);
    }
    if (extra.pausedBy !== undefined) {
      lines.push(`Paused by: ${extra.pausedBy}${extra.pauseNote ? ` (${extra.pauseNote})` : ""}`);
    }
    if (execution.result) lines.push("", "Result:", execution.result);
    if (execution.error) lines.push("", "Error:", execution.error);
    // paused and recovered are news of the job; the others, of one run.
    const what = event === "paused" || event === "recovered" ? `job ${event}` : `run ${event}`;
    await transport.sendMail({
      from: smtp.from,
      to: target.to,
      subject: `${target.subjectPrefix} ${job.name}: ${what}`.trim(),
      text: `${lines.join("\n")}\n`,
    });
  };
  return Object.assign(send, { close: () => transport.close() });
}
