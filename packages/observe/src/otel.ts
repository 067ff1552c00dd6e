/**
 * Tracing with OpenTelemetry: `@opentelemetry/api` is an optional peer dependency, loaded here
 * with a dynamic import only when the user enables tracing, so a program that does not trace never
 * loads it. Spans follow the OpenTelemetry messaging conventions where they fit: a batch is a
 * message batch sent to a destination (the backend) and processed by a worker.
 *
 * - `parajob call` (INTERNAL): one per Parallel call.
 * - `send <backend>` (PRODUCER): one per batch, child of the call, `messaging.batch.message_count`.
 * - `process <backend>` (CONSUMER): the worker's side of a batch, child of `send`, in whose context
 *   the tasks run: a task's own spans nest under the caller's.
 *
 * The trace context crosses to workers as a W3C `traceparent` on the wire batch (every backend
 * sends the wire batch: thread and process messages, the NATS message, the gRPC request).
 */
import type * as Api from '@opentelemetry/api';
import type { CallInfo, TaskBatch, WireBatch, WireResult } from '@parajob/core/backend';
import { setTracer, type TracedCall, type Tracer } from './hub.js';
import { messages } from './messages.js';

export interface TracingOptions {
  /** Where spans go; default: the globally registered provider (`trace.getTracerProvider()`). */
  readonly tracerProvider?: Api.TracerProvider;
}

const SCOPE = '@parajob/observe';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

async function loadApi(): Promise<typeof Api> {
  try {
    return await import('@opentelemetry/api');
  } catch (error) {
    throw new Error(messages.tracing.noApi((error as Error).message));
  }
}

/** Turns tracing on in this process (caller and workers alike); resolves once the API is loaded. */
export async function enableTracing(options: TracingOptions = {}): Promise<void> {
  const api = await loadApi();
  setTracer(otelTracer(api, options));
}

/** Turns tracing off again (spans already started still end). */
export function disableTracing(): void {
  setTracer(undefined);
}

function traceparentOf(span: Api.Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

function otelTracer(api: typeof Api, options: TracingOptions): Tracer {
  const { context, trace, SpanKind, SpanStatusCode } = api;
  // one tracer per provider, not one getTracer() per span: a batch's spans are on the hot path (a
  // global ProxyTracerProvider hands out a new ProxyTracer per call, which finds its SDK by itself)
  let cached: { provider: Api.TracerProvider; tracer: Api.Tracer } | undefined;
  const tracer = () => {
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(SCOPE) };
    return cached.tracer;
  };
  const close = (span: Api.Span, error: unknown) => {
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
      if (typeof index === 'number') span.setAttribute('parajob.task.index', index);
    }
    span.end();
  };
  /** A `process parajob` span (CONSUMER) under the caller's `traceparent`, in whose context `run` runs. */
  const processUnder = async <T>(
    traceparent: string | undefined,
    attributes: Api.Attributes,
    run: (span: Api.Span) => Promise<T>,
  ): Promise<T> => {
    const m = TRACEPARENT.exec(traceparent ?? '');
    // no (valid) context: run as is, with a non-recording span that records nothing
    if (m === null) return run(trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT));
    const parent = trace.setSpanContext(context.active(), {
      traceId: m[1]!,
      spanId: m[2]!,
      traceFlags: Number.parseInt(m[3]!, 16),
      isRemote: true,
    });
    const span = tracer().startSpan(
      'process parajob',
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'parajob', 'messaging.operation.type': 'process', ...attributes },
      },
      parent,
    );
    try {
      return await context.with(trace.setSpan(parent, span), () => run(span));
    } finally {
      span.end();
    }
  };
  return {
    startCall(info: CallInfo): TracedCall {
      const call = tracer().startSpan(info.kind === 'task' ? 'parajob task' : 'parajob call', {
        kind: SpanKind.INTERNAL,
        attributes: {
          'parajob.call.id': info.callId,
          'parajob.backend': info.backend,
          'parajob.n_jobs': info.nJobs,
          'parajob.workers': info.workers,
          'parajob.in_caller': info.inCaller,
          'parajob.mode': info.mode,
          ...(info.total === null ? {} : { 'parajob.tasks.total': info.total }),
        },
      });
      const callContext = trace.setSpan(context.active(), call);
      return {
        traceparent: traceparentOf(call),
        run: (fn) => context.with(callContext, fn),
        batch(batch: TaskBatch) {
          const span = tracer().startSpan(
            `send ${info.backend}`,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                'messaging.system': 'parajob',
                'messaging.operation.type': 'send',
                'messaging.operation.name': 'submit',
                'messaging.destination.name': info.backend,
                'messaging.batch.message_count': batch.size,
                'parajob.call.id': info.callId,
                'parajob.batch.first_index': batch.firstIndex,
              },
            },
            callContext,
          );
          const batchContext = trace.setSpan(callContext, span);
          return {
            traceparent: traceparentOf(span),
            run: (fn) => context.with(batchContext, fn),
            end: (error) => close(span, error),
          };
        },
        end: (error) => close(call, error),
      };
    },
    runWorkerBatch(wire: WireBatch, run: () => Promise<WireResult>): Promise<WireResult> {
      return processUnder(
        wire.traceparent,
        {
          'messaging.batch.message_count': wire.size,
          'parajob.call.id': wire.call,
          'parajob.batch.first_index': wire.first,
        },
        async (span) => {
          const result = await run();
          const failure = result.error?.error ?? result.errors?.[0]?.[1];
          if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
          return result;
        },
      );
    },
    runTraced<T>(traceparent: string, taskId: string, run: () => Promise<T>): Promise<T> {
      return processUnder(
        traceparent,
        { 'messaging.batch.message_count': 1, 'parajob.task.id': taskId },
        async (span) => {
          try {
            return await run();
          } catch (error) {
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: (error as Error)?.message ?? String(error),
            });
            throw error;
          }
        },
      );
    },
  };
}
