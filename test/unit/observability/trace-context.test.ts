import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  traceAttributes,
  traceFromAttributes,
} from "../../../src/adapters/sqs/trace-attributes.js";
import {
  extractHeaders,
  extractTrace,
  injectHeaders,
  injectTrace,
  traceMixin,
  tracer,
} from "../../../src/observability/trace-context.js";
import { startTracing, type Tracing, tracesUrl } from "../../../src/observability/tracing.js";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe("trace context with tracing off", () => {
  it("injects nothing and adds nothing to log lines", () => {
    const span = tracer().startSpan("off");
    context.with(trace.setSpan(context.active(), span), () => {
      expect(injectTrace()).toBeUndefined();
      const headers = new Headers();
      injectHeaders(headers);
      expect([...headers.keys()]).toEqual([]);
    });
    expect(traceMixin()).toEqual({});
    expect(traceAttributes(undefined)).toBeUndefined();
  });
});

describe("trace context with tracing on", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  beforeAll(() => {
    tracing = startTracing({
      nodeId: "node-1",
      roles: ["worker"],
      samplePercent: 100,
      export: { processor: new SimpleSpanProcessor({ exporter }) },
    });
  });
  afterAll(() => tracing.stop());

  it("carries a span's context through SQS message attributes to a child span", () => {
    const parent = tracer().startSpan("parent");
    const carrier = injectTrace(trace.setSpan(context.active(), parent));
    const match = TRACEPARENT.exec(carrier?.traceparent ?? "");
    expect(match?.[1]).toBe(parent.spanContext().traceId);
    expect(match?.[2]).toBe(parent.spanContext().spanId);
    parent.end();

    const attributes = traceAttributes(carrier);
    expect(attributes).toEqual({
      traceparent: { DataType: "String", StringValue: carrier!.traceparent },
    });
    const received = traceFromAttributes(attributes);
    expect(received).toEqual(carrier);
    const child = tracer().startSpan("child", {}, extractTrace(received));
    child.end();
    const [, finished] = exporter.getFinishedSpans();
    expect(finished?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(finished?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it("keeps tracestate beside traceparent, and reads no trace from a message without one", () => {
    const carrier = { traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`, tracestate: "v=1" };
    expect(traceFromAttributes(traceAttributes(carrier))).toEqual(carrier);
    expect(traceFromAttributes(undefined)).toBeUndefined();
    expect(
      traceFromAttributes({ other: { DataType: "String", StringValue: "x" } }),
    ).toBeUndefined();
  });

  it("puts the active span on HTTP request headers and reads it back", () => {
    tracer().startActiveSpan("run", (span) => {
      const headers = new Headers({ "x-other": "1" });
      injectHeaders(headers);
      expect(TRACEPARENT.exec(headers.get("traceparent") ?? "")?.[1]).toBe(
        span.spanContext().traceId,
      );
      const back = trace.getSpanContext(extractHeaders(headers));
      expect(back?.spanId).toBe(span.spanContext().spanId);
      span.end();
    });
  });

  it("gives log lines inside a span its trace and span ids, and none outside", () => {
    expect(traceMixin()).toEqual({});
    tracer().startActiveSpan("logged", (span) => {
      expect(traceMixin()).toEqual({
        trace_id: span.spanContext().traceId,
        span_id: span.spanContext().spanId,
        trace_flags: "01",
      });
      span.end();
    });
  });

  it("sends spans to the OTLP traces path under the configured base URL", () => {
    expect(tracesUrl("http://collector:4318")).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl("http://collector:4318/")).toBe("http://collector:4318/v1/traces");
  });
});
