/**
 * The http handler: one request per attempt, 2xx is success. The response body
 * is read only up to the summary cap, so a huge body costs no memory.
 */
import type { Dispatcher } from "undici";
import { type Clock, systemClock } from "../../core/clock.js";
import type { HttpTarget } from "../../core/job.js";
import { injectHeaders } from "../../observability/trace-context.js";
import type { HandlerResult, JobHandler, RunContext } from "./handler.js";
import {
  defaultSafeDispatcher,
  fetchTarget,
  redirectNote,
  targetRefusal,
} from "./safe-dispatcher.js";
import {
  assertByteLimit,
  type CapturedOutput,
  clampText,
  createOutputCapture,
  DEFAULT_MAX_OUTPUT_BYTES,
  formatSummary,
} from "./truncate.js";

/** Request header carrying the execution id, so that a receiver can deduplicate redeliveries. */
export const EXECUTION_ID_HEADER = "Chronoring-Execution-Id";
/**
 * Checkpoint header, base64: sent with the inherited checkpoint; a response
 * carrying it saves a new one.
 */
export const CHECKPOINT_HEADER = "Chronoring-Checkpoint";

export interface HttpHandlerOptions {
  /** Cap on the summary (status line + body), in UTF-8 bytes. Default 4096. */
  maxOutputBytes?: number;
  /**
   * Every connection goes through it: see safe-dispatcher.ts. Default: a
   * shared one whose allow-list is empty (no internal address is reached).
   */
  dispatcher?: Dispatcher;
  /** The job's timeout runs on it. Default the system clock. */
  clock?: Clock;
}

export function createHttpHandler(opts: HttpHandlerOptions = {}): JobHandler<HttpTarget> {
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  assertByteLimit(maxBytes, "maxOutputBytes");
  const dispatcher = opts.dispatcher ?? defaultSafeDispatcher();
  const clock = opts.clock ?? systemClock;
  return {
    type: "http",
    run: (target, ctx) => runHttp(target, ctx, maxBytes, dispatcher, clock),
  };
}

async function runHttp(
  target: HttpTarget,
  ctx: RunContext,
  maxBytes: number,
  dispatcher: Dispatcher,
  clock: Clock,
): Promise<HandlerResult> {
  if (target.type !== "http") throw new TypeError(`http handler got a ${target.type} target`);
  const deadline = linkDeadline(ctx.signal, target.timeoutMs, clock);
  let status: number | undefined;
  try {
    if (deadline.signal.aborted) {
      return { ok: false, summary: deadline.reason(), retryable: true };
    }
    const headers = new Headers(target.headers);
    headers.set(EXECUTION_ID_HEADER, ctx.executionId);
    // The run's trace goes on to the target (W3C traceparent), when tracing is on.
    injectHeaders(headers);
    if (ctx.lastCheckpoint) {
      headers.set(CHECKPOINT_HEADER, Buffer.from(ctx.lastCheckpoint).toString("base64"));
    }
    const response = await fetchTarget(dispatcher, target.url, {
      method: target.method,
      headers,
      body: target.bodyBase64 === undefined ? undefined : Buffer.from(target.bodyBase64, "base64"),
      signal: deadline.signal,
    });
    status = response.status;
    await saveResponseCheckpoint(response, ctx);
    const body = await readCapped(response, maxBytes);
    const ok = response.status >= 200 && response.status <= 299;
    ctx.logger.debug(
      { status: response.status, bodyBytes: body.totalBytes },
      "http target answered",
    );
    return {
      ok,
      summary: formatSummary(statusLine(response, target.url), body, maxBytes),
      ...(ok ? {} : { retryable: isRetryableStatus(response.status) }),
    };
  } catch (err) {
    const refused = refusedResult(err, maxBytes);
    if (refused) return refused;
    const after = status === undefined ? "" : ` (after HTTP ${status}, reading the body)`;
    const why = deadline.signal.aborted ? deadline.reason() : errorMessage(err);
    // Timeouts, refused or reset connections: the next attempt may get through.
    return { ok: false, summary: clampText(`${why}${after}`, maxBytes), retryable: true };
  } finally {
    deadline.dispose();
  }
}

/** A connection the dispatcher refused: permanent, as where a target points is no passing fault. */
export function refusedResult(err: unknown, maxBytes: number): HandlerResult | undefined {
  const refused = targetRefusal(err);
  return refused && { ok: false, summary: clampText(refused.message, maxBytes), retryable: false };
}

/** `HTTP 302 (redirect to https://…/, not followed)`, or just `HTTP 200`. */
export function statusLine(response: Response, url: string): string {
  const redirect = redirectNote(response, url);
  return redirect === undefined
    ? `HTTP ${response.status}`
    : `HTTP ${response.status} (${redirect})`;
}

/** Saves the checkpoint a response sent back in `Chronoring-Checkpoint` (base64). */
export async function saveResponseCheckpoint(response: Response, ctx: RunContext): Promise<void> {
  const raw = response.headers.get(CHECKPOINT_HEADER);
  if (raw === null || ctx.checkpoint === undefined) return;
  try {
    await ctx.checkpoint(Buffer.from(raw.trim(), "base64"));
  } catch (err) {
    ctx.logger.warn({ err }, "could not save the checkpoint the target sent");
  }
}

/**
 * Whether an HTTP failure may pass on a later attempt: server errors, 408
 * Request Timeout, 425 Too Early, 429 Too Many Requests. Any other status
 * (4xx: the request itself is wrong; 3xx: not followed) is permanent.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

/**
 * Reads at most `limit` bytes of the body (plus the chunk that crosses it),
 * then cancels the stream. The total is exact only when the body ended or a
 * Content-Length of the undecoded body says how long it was.
 */
export async function readCapped(response: Response, limit: number): Promise<CapturedOutput> {
  const capture = createOutputCapture(limit);
  if (response.body === null) return { bytes: capture.bytes(), totalBytes: 0, totalKnown: true };
  const reader = response.body.getReader();
  let ended = false;
  while (!capture.overflowed) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    capture.write(value);
  }
  if (ended) {
    return { bytes: capture.bytes(), totalBytes: capture.totalBytes, totalKnown: true };
  }
  await reader.cancel().catch(() => undefined);
  const declared = declaredLength(response);
  if (declared !== undefined && declared >= capture.totalBytes) {
    return { bytes: capture.bytes(), totalBytes: declared, totalKnown: true };
  }
  return { bytes: capture.bytes(), totalBytes: capture.totalBytes, totalKnown: false };
}

/** Content-Length, when it measures the bytes we read (fetch decodes gzip etc.). */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") return undefined;
  const raw = response.headers.get("content-length");
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

const MAX_TIMER_MS = 2_147_483_647;

interface Deadline {
  signal: AbortSignal;
  /** Why the signal fired: the timeout or the run's own signal. */
  reason(): string;
  dispose(): void;
}

/**
 * The run's signal combined with a timeout. Written out rather than
 * `AbortSignal.any([AbortSignal.timeout(ms), ctx.signal])` because the
 * listener on a possibly long-lived worker signal is removed deterministically
 * here (Node's `any` has leaked dependants of long-lived signals: nodejs/node#55351),
 * and because the summary must say which of the two fired.
 */
export function linkDeadline(
  parent: AbortSignal,
  timeoutMs: number,
  clock: Clock = systemClock,
): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  // setTimeout treats delays beyond 2^31-1 ms as 1 ms; no job waits 24 days anyway.
  const timer = clock.setTimeout(
    () => {
      timedOut = true;
      controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError"));
    },
    Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS),
  );
  if (parent.aborted) onParentAbort();
  else parent.addEventListener("abort", onParentAbort, { once: true });
  return {
    signal: controller.signal,
    reason: () =>
      timedOut ? `timed out after ${timeoutMs} ms` : `aborted: ${errorMessage(parent.reason)}`,
    dispose: () => {
      timer.cancel();
      parent.removeEventListener("abort", onParentAbort);
    },
  };
}

/**
 * An error's message with its causes, e.g. `fetch failed: connect ECONNREFUSED
 * 127.0.0.1:9` (undici puts the useful part in `cause`).
 */
export function errorMessage(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    // A dual-stack connect failure is an AggregateError with an empty message.
    const inner = current instanceof AggregateError ? current.errors[0] : undefined;
    const code = (current as { code?: unknown }).code;
    const message = current.message || (typeof code === "string" ? code : "");
    if (message !== "" && !parts.includes(message)) parts.push(message);
    current = current.cause ?? inner;
  }
  return parts.length === 0 ? "unknown error" : parts.join(": ");
}
