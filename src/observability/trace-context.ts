/**
 * Trace context helpers shared by the roles: the tracer, W3C propagation to
 * and from plain carriers (queue message attributes, HTTP headers), and the
 * pino mixin. Without `startTracing` every call here is the OpenTelemetry
 * API's no-op: no propagator is registered, so nothing is injected.
 */

import {
  type Context,
  context,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { TraceCarrier } from "../core/ports/work-queue.js";

let enabled = false;

/** Set by `startTracing` and its stop: lets callers skip span work entirely when off. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

/** True while this process exports traces. */
export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer(): Tracer {
  return trace.getTracer("chronoring");
}

/** The W3C headers of `ctx` (default: the active context); undefined when there is no trace. */
export function injectTrace(ctx: Context = context.active()): TraceCarrier | undefined {
  if (!enabled) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carrier names, as the parent of a new span (the root context when none). */
export function extractTrace(carrier: TraceCarrier | undefined): Context {
  if (!carrier) return context.active();
  return propagation.extract(context.active(), carrier);
}

/** Puts the active trace on an outgoing HTTP request's headers (a job's HTTP target). */
export function injectHeaders(headers: Headers): void {
  const carrier = injectTrace();
  if (!carrier) return;
  for (const [name, value] of Object.entries(carrier)) headers.set(name, value);
}

/** Reads a trace context from request headers (the API's incoming `traceparent`). */
export function extractHeaders(headers: Headers): Context {
  return propagation.extract(context.active(), headers, {
    get: (h, key) => h.get(key) ?? undefined,
    keys: (h) => [...h.keys()],
  });
}

/** Ends a span as failed with the error, or as it is. */
export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: err instanceof Error ? err.message : String(err),
    });
  }
  span.end();
}

/**
 * A pino mixin: the active span's ids on each log line written inside it,
 * so that logs and traces join on `trace_id`. Installed only when tracing is on.
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return {};
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}
