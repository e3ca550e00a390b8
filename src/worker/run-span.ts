import { SpanKind, trace } from "@opentelemetry/api";
import { executionId } from "../core/execution.js";
import type { Delivery } from "../core/ports/work-queue.js";
import { endSpan, extractTrace, tracer, tracingEnabled } from "../observability/trace-context.js";

/**
 * Runs `handle` inside the span of one attempt of a run
 * (`chronoring.worker.run`), a child of the trace context its message
 * carried: the claim's or the API call's span. The handler's HTTP request,
 * log lines and any retry the worker sends happen inside it, so a retry's
 * attempt is a child of the attempt that failed, in the same trace. A
 * message without a trace context (re-sent by the recovery sweep, or sent
 * with tracing off) starts a trace of its own. With tracing off this is
 * just `handle()`.
 */
export function withRunSpan(delivery: Delivery, handle: () => Promise<void>): Promise<void> {
  if (!tracingEnabled()) return handle();
  const { run } = delivery;
  return tracer().startActiveSpan(
    "chronoring.worker.run",
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "chronoring.execution_id": executionId(run),
        "chronoring.job_id": run.jobId,
        "chronoring.attempt": run.attempt,
        "chronoring.scheduled_ms": run.scheduledMs,
        "chronoring.manual": run.manual,
        "chronoring.receive_count": delivery.receiveCount,
        ...(run.tenant !== undefined ? { "chronoring.tenant": run.tenant } : {}),
        "messaging.system": "aws_sqs",
      },
    },
    extractTrace(delivery.trace),
    async (span) => {
      try {
        await handle();
        endSpan(span);
      } catch (err) {
        endSpan(span, err);
        throw err;
      }
    },
  );
}

/** Records the run's outcome on its span (when there is one). */
export function markRunStatus(status: string | undefined): void {
  if (status !== undefined) trace.getActiveSpan()?.setAttribute("chronoring.run.status", status);
}
