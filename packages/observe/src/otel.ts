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

/** W3C `traceparent` of a span context: version 00, trace id, span id, flags. */
function traceparentOf(c: Api.SpanContext): string {
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags & 1 ? '01' : '00'}`;
}

const noop = (): void => {};

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
  const fail = (span: Api.Span, error: unknown) => {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
  };
  const close = (span: Api.Span, error: unknown) => {
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      fail(span, error);
      const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
      if (typeof index === 'number') span.setAttribute('parajob.task.index', index);
    }
    span.end();
  };
  /**
   * A worker's `process parajob` span (CONSUMER) under the caller's `traceparent`, and the context
   * to run in; undefined without a (valid) context: then the work runs as is.
   */
  const processScope = (
    traceparent: string | undefined,
    attributes: Api.Attributes,
  ): { span: Api.Span; context: Api.Context } | undefined => {
    const m = TRACEPARENT.exec(traceparent ?? '');
    if (m === null) return undefined;
    const parent = trace.setSpanContext(context.active(), {
      traceId: m[1]!,
      spanId: m[2]!,
      traceFlags: Number.parseInt(m[3]!, 16),
      isRemote: true,
    });
    const span = tracer().startSpan('process parajob', { kind: SpanKind.CONSUMER, attributes }, parent);
    // no SDK in this worker: the no-op span is the caller's context itself, already in `parent`
    const same = span.spanContext().spanId === m[2];
    return { span, context: same ? parent : trace.setSpan(parent, span) };
  };
  return {
    startCall(info: CallInfo): TracedCall | undefined {
      const active = context.active();
      const call = tracer().startSpan(
        info.kind === 'task' ? 'parajob task' : 'parajob call',
        {
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
        },
        active,
      );
      const ids = call.spanContext();
      // no SDK (a no-op provider): nothing to record nor to carry, the call runs untraced
      if (!trace.isSpanContextValid(ids)) return undefined;
      const callContext = trace.setSpan(active, call);
      const traceparent = traceparentOf(ids);
      const run = <T>(fn: () => T): T => context.with(callContext, fn);
      if (!call.isRecording()) {
        // sampled out: no batch spans (they would not record either); the call's context still
        // goes to the workers, once for all batches, so their spans follow the same decision
        const batch = { traceparent, run, end: noop };
        return { traceparent, run, batch: () => batch, end: noop };
      }
      const send = `send ${info.backend}`;
      const prefix = `00-${ids.traceId}-`;
      return {
        traceparent,
        run,
        batch(batch: TaskBatch) {
          const span = tracer().startSpan(
            send,
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
          const c = span.spanContext();
          return {
            // a child of the call: same trace id
            traceparent: `${prefix}${c.spanId}-${c.traceFlags & 1 ? '01' : '00'}`,
            // the batch's context only for what runs in this process (in-process backends)
            run: (fn) => context.with(trace.setSpan(callContext, span), fn),
            end: (error) => close(span, error),
          };
        },
        end: (error) => close(call, error),
      };
    },
    runWorkerBatch(wire: WireBatch, run: () => Promise<WireResult>): Promise<WireResult> {
      const scope = processScope(wire.traceparent, {
        'messaging.system': 'parajob',
        'messaging.operation.type': 'process',
        'messaging.batch.message_count': wire.size,
        'parajob.call.id': wire.call,
        'parajob.batch.first_index': wire.first,
      });
      if (scope === undefined) return run();
      const { span } = scope;
      // callbacks, not an async wrapper: no extra promise hops per batch (promise hooks are on in
      // workers that use AsyncLocalStorage, and every hop pays for them)
      return context.with(scope.context, run).then(
        (result) => {
          const failure = result.error?.error ?? result.errors?.[0]?.[1];
          if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
          span.end();
          return result;
        },
        (error: unknown) => {
          span.end();
          throw error;
        },
      );
    },
    async runTraced<T>(traceparent: string, taskId: string, run: () => Promise<T>): Promise<T> {
      const scope = processScope(traceparent, {
        'messaging.system': 'parajob',
        'messaging.operation.type': 'process',
        'messaging.batch.message_count': 1,
        'parajob.task.id': taskId,
      });
      if (scope === undefined) return run();
      try {
        return await context.with(scope.context, run);
      } catch (error) {
        fail(scope.span, error);
        throw error;
      } finally {
        scope.span.end();
      }
    },
  };
}
