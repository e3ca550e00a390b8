/**
 * The API's span per call (`<service>/<method>`, kind server), a child of
 * the caller's `traceparent` when it sends one. The call runs inside it, so
 * a run that TriggerJob or CreateJob sends carries it on its message and the
 * worker's run continues this trace; log lines written during the call
 * carry its ids. Installed only when tracing is on.
 */

import { type Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { endSpan, extractHeaders, tracer } from "../observability/trace-context.js";

/** Ends the call's span with its Connect code; server-side faults mark it an error. */
function finish(span: Span, err?: unknown): void {
  if (err === undefined) {
    span.setAttribute("rpc.connect_rpc.error_code", "ok");
    span.end();
    return;
  }
  const code: Code | undefined = err instanceof ConnectError ? err.code : undefined;
  span.setAttribute(
    "rpc.connect_rpc.error_code",
    code === undefined ? "unknown" : codeToString(code),
  );
  // A refused request is the caller's error, not this span's: only internal faults are errors.
  if (
    code === undefined ||
    ["internal", "unknown", "unavailable", "data_loss"].includes(codeToString(code))
  ) {
    endSpan(span, err);
  } else {
    span.setStatus({ code: SpanStatusCode.UNSET });
    span.end();
  }
}

export function createTraceInterceptor(): Interceptor {
  return (next) => async (req) => {
    const parent = extractHeaders(req.header);
    const span = tracer().startSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "rpc.system": "connect_rpc",
          "rpc.service": req.service.typeName,
          "rpc.method": req.method.name,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    try {
      const res = await context.with(active, () => next(req));
      if (!res.stream) {
        finish(span);
        return res;
      }
      // A stream ends later: the span ends when its messages run out.
      const messages = res.message;
      async function* traced() {
        try {
          yield* messages;
          finish(span);
        } catch (err) {
          finish(span, err);
          throw err;
        }
      }
      return { ...res, message: context.bind(active, traced()) };
    } catch (err) {
      finish(span, err);
      throw err;
    }
  };
}
