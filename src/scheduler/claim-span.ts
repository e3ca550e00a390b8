import { context, SpanKind, trace } from "@opentelemetry/api";
import type { OutgoingRun } from "../core/ports/work-queue.js";
import { injectTrace, tracer, tracingEnabled } from "../observability/trace-context.js";

/**
 * Starts one trace per claimed run: a `chronoring.scheduler.claim` span from
 * the pass's claim (`claimedAt`) to the hand-off to the dispatcher, whose
 * context the run then carries (`run.trace`) through the dispatch thread
 * and the queue to the worker. The span ends at the hand-off because the
 * send happens in the dispatch thread, which has no tracer: its time on
 * hold is the gap until the worker's span. One span per fire keeps the cost
 * to a few microseconds a run; with tracing off nothing is done.
 */
export function traceClaims(runs: OutgoingRun[], claimedAt: Date): void {
  if (!tracingEnabled()) return;
  for (const run of runs) {
    const span = tracer().startSpan(
      "chronoring.scheduler.claim",
      {
        kind: SpanKind.PRODUCER,
        startTime: claimedAt,
        attributes: {
          "chronoring.job_id": run.jobId,
          "chronoring.partition": run.partition,
          "chronoring.scheduled_ms": run.scheduledMs,
          "chronoring.attempt": run.attempt,
          "chronoring.tenant": run.tenant,
          "messaging.system": "aws_sqs",
        },
      },
      // A claim is a root: it is where a scheduled fire begins.
      trace.deleteSpan(context.active()),
    );
    const carrier = injectTrace(trace.setSpan(context.active(), span));
    if (carrier) run.trace = carrier;
    span.end();
  }
}
