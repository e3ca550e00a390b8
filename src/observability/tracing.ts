/**
 * Starts OpenTelemetry tracing for this process when an OTLP endpoint is
 * configured: a tracer provider with the process's resource (service
 * `chronoring`, its node id and roles), batched OTLP/HTTP export, the W3C
 * propagator and an AsyncLocalStorage context manager, all registered as the
 * process's globals. Without an endpoint nothing is started and the
 * OpenTelemetry API stays a no-op.
 */

import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { setTracingEnabled } from "./trace-context.js";

export interface TracingOptions {
  /** This process's node id (`service.instance.id`). */
  nodeId: string;
  roles: string[];
  /** Share of new traces recorded, 0..100; a trace begun elsewhere follows its parent's choice. */
  samplePercent: number;
  /** Where spans go: an OTLP/HTTP exporter to the endpoint, or a test's own processor. */
  export: { otlpEndpoint: string } | { processor: SpanProcessor };
}

export interface Tracing {
  /** Sends the spans still buffered, then unregisters the globals. */
  stop(): Promise<void>;
}

/** OTLP/HTTP's traces path under a collector's base URL (as `OTEL_EXPORTER_OTLP_ENDPOINT`). */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

export function startTracing(options: TracingOptions): Tracing {
  const processor =
    "processor" in options.export
      ? options.export.processor
      : new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: tracesUrl(options.export.otlpEndpoint) }),
          // A second rather than the SDK's 5: a fire's spans reach the collector
          // soon after it ends; a busy node still sends full batches of 512 sooner.
          scheduledDelayMillis: 1000,
        });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: "chronoring",
      [ATTR_SERVICE_INSTANCE_ID]: options.nodeId,
      "chronoring.roles": options.roles.join(","),
    }),
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(options.samplePercent / 100),
    }),
    spanProcessors: [processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  setTracingEnabled(true);
  return {
    async stop() {
      setTracingEnabled(false);
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
