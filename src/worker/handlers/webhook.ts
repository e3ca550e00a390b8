/**
 * The webhook handler: one signed POST of a JSON envelope per attempt, 2xx is
 * success. The envelope names the run (job id, execution id, scheduled time,
 * attempt) and carries the job's payload, so that one receiver can serve many
 * jobs; the signature (see `notify/signature.ts`) lets it trust the body.
 */
import type { Dispatcher } from "undici";
import { type Clock, systemClock } from "../../core/clock.js";
import type { WebhookTarget } from "../../core/job.js";
import { SIGNATURE_HEADER, signBody } from "../../notify/signature.js";
import { injectHeaders } from "../../observability/trace-context.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";
import {
  CHECKPOINT_HEADER,
  EXECUTION_ID_HEADER,
  errorMessage,
  linkDeadline,
  readCapped,
  refusedResult,
  saveResponseCheckpoint,
  statusLine,
} from "./http.js";
import { defaultSafeDispatcher, fetchTarget } from "./safe-dispatcher.js";
import { assertByteLimit, clampText, DEFAULT_MAX_OUTPUT_BYTES, formatSummary } from "./truncate.js";

export interface WebhookHandlerOptions {
  /** Cap on the summary (status line + body), in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /** Unix seconds for the signature; injectable for tests. */
  nowS?: () => number;
  /** Every connection goes through it (see safe-dispatcher.ts); default: no internal address. */
  dispatcher?: Dispatcher;
  /** The job's timeout runs on it. Default the system clock. */
  clock?: Clock;
}

/** The JSON body a webhook job POSTs. */
export interface WebhookEnvelope {
  jobId: string;
  executionId: string;
  /** RFC 3339, UTC. */
  scheduledTime: string;
  attempt: number;
  payload: unknown;
  /** Base64 of the inherited checkpoint, when there is one. */
  checkpoint?: string;
}

export function webhookEnvelope(target: WebhookTarget, ctx: RunContext): string {
  const envelope: WebhookEnvelope = {
    jobId: ctx.jobId,
    executionId: ctx.executionId,
    scheduledTime: new Date(ctx.scheduledMs).toISOString(),
    attempt: ctx.attempt,
    payload: target.payload ? (JSON.parse(target.payload) as unknown) : null,
  };
  if (ctx.lastCheckpoint) envelope.checkpoint = Buffer.from(ctx.lastCheckpoint).toString("base64");
  return JSON.stringify(envelope);
}

export function createWebhookHandler(opts: WebhookHandlerOptions = {}): JobHandler<WebhookTarget> {
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  assertByteLimit(maxBytes, "maxOutputBytes");
  const clock = opts.clock ?? systemClock;
  const nowS = opts.nowS ?? (() => Math.floor(clock.now() / 1000));
  const dispatcher = opts.dispatcher ?? defaultSafeDispatcher();
  return {
    type: "webhook",
    run: (target, ctx) => runWebhook(target, ctx, maxBytes, nowS, dispatcher, clock),
  };
}

async function runWebhook(
  target: WebhookTarget,
  ctx: RunContext,
  maxBytes: number,
  nowS: () => number,
  dispatcher: Dispatcher,
  clock: Clock,
): Promise<HandlerResult> {
  if (target.type !== "webhook") throw new TypeError(`webhook handler got a ${target.type} target`);
  const deadline = linkDeadline(ctx.signal, target.timeoutMs, clock);
  let status: number | undefined;
  try {
    if (deadline.signal.aborted) return { ok: false, summary: deadline.reason() };
    const body = webhookEnvelope(target, ctx);
    const headers = new Headers(target.headers);
    headers.set("content-type", "application/json");
    headers.set(EXECUTION_ID_HEADER, ctx.executionId);
    // The run's trace goes on to the target (W3C traceparent), when tracing is on.
    injectHeaders(headers);
    if (ctx.lastCheckpoint) {
      headers.set(CHECKPOINT_HEADER, Buffer.from(ctx.lastCheckpoint).toString("base64"));
    }
    if (target.secret) headers.set(SIGNATURE_HEADER, signBody(target.secret, body, nowS()));
    const response = await fetchTarget(dispatcher, target.url, {
      method: "POST",
      headers,
      body,
      signal: deadline.signal,
    });
    status = response.status;
    await saveResponseCheckpoint(response, ctx);
    const answer = await readCapped(response, maxBytes);
    const ok = response.status >= 200 && response.status <= 299;
    return { ok, summary: formatSummary(statusLine(response, target.url), answer, maxBytes) };
  } catch (err) {
    const refused = refusedResult(err, maxBytes);
    if (refused) return refused;
    const after = status === undefined ? "" : ` (after HTTP ${status}, reading the body)`;
    const why = deadline.signal.aborted ? deadline.reason() : errorMessage(err);
    return { ok: false, summary: clampText(`${why}${after}`, maxBytes) };
  } finally {
    deadline.dispose();
  }
}
