import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { TraceCarrier } from "../../core/ports/work-queue.js";

/**
 * The W3C trace context fields a run message carries as SQS message
 * attributes (SQS allows 10 per message; run messages use no others). The
 * body stays as it was, so workers without tracing read it unchanged.
 */
export const TRACE_ATTRIBUTES = ["traceparent", "tracestate"] as const;

/** Message attributes for a send; undefined when there is no trace. */
export function traceAttributes(
  carrier: TraceCarrier | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (!carrier?.traceparent) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const name of TRACE_ATTRIBUTES) {
    const value = carrier[name];
    // SQS refuses an empty string attribute.
    if (value) out[name] = { DataType: "String", StringValue: value };
  }
  return out;
}

/** The trace context of a received message, when it has one. */
export function traceFromAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): TraceCarrier | undefined {
  const traceparent = attributes?.traceparent?.StringValue;
  if (!traceparent) return undefined;
  const carrier: TraceCarrier = { traceparent };
  const tracestate = attributes?.tracestate?.StringValue;
  if (tracestate) carrier.tracestate = tracestate;
  return carrier;
}
