import { context, ProxyTracerProvider, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { delayed, Parallel } from '@parajob/core';
import { currentInstrumentation, type SubmitOptions, type TaskBatch } from '@parajob/core/backend';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { disableTracing, enableTracing } from '../src/index.js';
import { activeContext, double, failOn } from './fixtures/tasks.mjs';
import { InlineBackend } from './helpers.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  await enableTracing({ tracerProvider: provider });
});
afterEach(() => exporter.reset());
afterAll(async () => {
  disableTracing();
  context.disable();
  await shutdownWorkerThreadsPools();
});

const spans = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (s: ReturnType<typeof spans>[number]) => s.parentSpanContext?.spanId;

describe('tracing', () => {
  it('without tracing nor listeners, core has no instrumentation installed', () => {
    disableTracing();
    expect(currentInstrumentation()).toBeUndefined();
    return enableTracing({ tracerProvider: provider });
  });

  it('one span per call and one per batch with its task count, the batches children of the call', async () => {
    const results = await new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 5 }).run(
      Array.from({ length: 20 }, (_, i) => delayed(double)(i)),
    );
    expect(results[19]).toBe(38);
    const [call] = spans('parajob call');
    expect(call).toBeDefined();
    expect(call!.attributes['parajob.tasks.total']).toBe(20);
    expect(call!.attributes['parajob.backend']).toBe('inline');
    const batches = spans('send inline');
    // every task in exactly one batch (the scheduler cuts the last batches smaller)
    const counts = batches.map((b) => b.attributes['messaging.batch.message_count'] as number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    for (const b of batches) {
      expect(b.kind).toBe(SpanKind.PRODUCER);
      expect(b.attributes['messaging.system']).toBe('parajob');
      expect(parentOf(b)).toBe(call!.spanContext().spanId);
      expect(b.spanContext().traceId).toBe(call!.spanContext().traceId);
    }
  });

  it("a call made inside the user's span is part of the user's trace", async () => {
    const tracer = provider.getTracer('test');
    await tracer.startActiveSpan('user work', async (span) => {
      await new Parallel({ nJobs: 2, backend: new InlineBackend() }).run([delayed(double)(1)]);
      span.end();
    });
    const [user] = spans('user work');
    const [call] = spans('parajob call');
    expect(parentOf(call!)).toBe(user!.spanContext().spanId);
  });

  it('in-process tasks run in the batch span context: their own spans nest under it', async () => {
    const out = await new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 1 }).run([
      delayed(activeContext)(0),
      delayed(activeContext)(1),
    ]);
    const batches = spans('send inline');
    for (const r of out) {
      const batch = batches.find((b) => b.spanContext().spanId === r.spanId);
      expect(batch, `task ${r.i} ran in a batch span`).toBeDefined();
    }
  });

  it('the trace context crosses to worker threads: tasks run under the caller batch span', async () => {
    const out = await new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 2 }).run(
      Array.from({ length: 6 }, (_, i) => delayed(activeContext)(i)),
    );
    const [call] = spans('parajob call');
    const batches = spans('send worker-threads');
    expect(batches.length).toBeGreaterThan(0);
    for (const r of out) {
      expect(r.traceId).toBe(call!.spanContext().traceId);
      // the worker has no SDK here: its process span is non-recording and carries the caller's batch span
      const batch = batches.find((b) => b.spanContext().spanId === r.spanId);
      expect(batch, `task ${r.i} is under a send span`).toBeDefined();
      const first = batch!.attributes['parajob.batch.first_index'] as number;
      const size = batch!.attributes['messaging.batch.message_count'] as number;
      expect(r.i).toBeGreaterThanOrEqual(first);
      expect(r.i).toBeLessThan(first + size);
    }
  });

  it('a failing batch and call record the error and the task index', async () => {
    const call = new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 1 }).run(
      [0, 1, 2].map((i) => delayed(failOn)(i, 1)),
    );
    await expect(call).rejects.toThrow('task input 1 is bad');
    const [callSpan] = spans('parajob call');
    expect(callSpan!.status.code).toBe(SpanStatusCode.ERROR);
    const failed = spans('send inline').filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attributes['parajob.task.index']).toBe(1);
    expect(failed[0]!.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('no span is left open by a call whose iterator is left early', async () => {
    const parallel = new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 1 });
    for await (const value of parallel.iter([1, 2, 3, 4].map((i) => delayed(double)(i)))) {
      if (value === 4) break;
    }
    const [call] = spans('parajob call');
    expect(call).toBeDefined();
    expect(call!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  describe('when nothing records', () => {
    /** An in-process backend that notes the trace context each batch would carry to a worker. */
    class CarriedBackend extends InlineBackend {
      readonly carried: Array<string | undefined> = [];
      override submit(batch: TaskBatch, options: SubmitOptions) {
        this.carried.push(batch.traceparent);
        return super.submit(batch, options);
      }
    }
    const run = async () => {
      const backend = new CarriedBackend();
      const out = await new Parallel({ nJobs: 2, backend, batchSize: 2 }).run(
        Array.from({ length: 6 }, (_, i) => delayed(double)(i)),
      );
      expect(out[5]).toBe(10);
      return backend.carried;
    };
    afterEach(() => enableTracing({ tracerProvider: provider }));

    it('without an SDK (a no-op provider) a call is not observed and its batches carry no context', async () => {
      await enableTracing({ tracerProvider: new ProxyTracerProvider() });
      expect(
        currentInstrumentation()?.startCall({
          callId: 'c',
          backend: 'inline',
          nJobs: 2,
          workers: 2,
          inCaller: false,
          mode: 'list',
          total: 1,
          depth: 1,
        }),
      ).toBeUndefined();
      const carried = await run();
      expect(carried.length).toBeGreaterThan(1);
      expect(carried.every((t) => t === undefined)).toBe(true);
    });

    it('a sampled-out call makes no batch spans and carries its own context, once for every batch', async () => {
      const exported = new InMemorySpanExporter();
      await enableTracing({
        tracerProvider: new BasicTracerProvider({
          sampler: new AlwaysOffSampler(),
          spanProcessors: [new SimpleSpanProcessor(exported)],
        }),
      });
      const carried = await run();
      expect(exported.getFinishedSpans()).toHaveLength(0);
      expect(carried.length).toBeGreaterThan(1);
      // the workers' spans join the same (unsampled) trace: flags 00
      expect(carried[0]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(new Set(carried).size).toBe(1);
    });
  });
});
