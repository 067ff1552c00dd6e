/**
 * Tracing of the Ray-like client (@parajob/client, local engine): one `parajob task` span per
 * `.remote()` call, from submit until its ref settles, with the task's error when it fails; the
 * task runs on its worker thread under that span. A streaming task (an async generator) is one
 * span too, from submit until its generator returns or throws, and its items are produced under it.
 */
import { context, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { connect } from '@parajob/client';
import { disableTracing, enableTracing } from '@parajob/observe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTo, failAt } from '../fixtures/observe/tasks.mjs';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

describe('tracing the Ray-like client', () => {
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    await enableTracing({ tracerProvider: provider });
  });
  afterAll(() => {
    disableTracing();
    context.disable();
  });

  it('a task is one span from submit until its ref settles, failures included', async () => {
    const client = await connect();
    try {
      const tracer = provider.getTracer('test');
      await tracer.startActiveSpan('user work', async (span) => {
        expect(await client.get(client.remote(failAt).remote(3, 7))).toBe(3);
        await expect(client.get(client.remote(failAt).remote(7, 7))).rejects.toThrow(
          'input 7 is not allowed',
        );
        span.end();
      });
    } finally {
      await client.close();
    }
    const spans = exporter.getFinishedSpans();
    const user = spans.find((s) => s.name === 'user work')!;
    const tasks = spans.filter((s) => s.name === 'parajob task');
    expect(tasks).toHaveLength(2);
    for (const t of tasks) {
      expect(t.parentSpanContext?.spanId).toBe(user.spanContext().spanId);
      expect(t.attributes['parajob.tasks.total']).toBe(1);
    }
    expect(tasks.filter((t) => t.status.code === SpanStatusCode.ERROR)).toHaveLength(1);
  });

  it("a task runs on its worker thread under the caller's task span", async () => {
    exporter.reset();
    // importing the module turns tracing on in the client's worker threads (they import it)
    const { traceContext } = await import('../fixtures/observe/traced-tasks.mjs');
    // (and here, with the global provider: back to the recording one)
    await enableTracing({ tracerProvider: provider });
    const client = await connect();
    let out: Array<{ i: number; traceId: string | null; spanId: string | null }>;
    try {
      out = await client.get([0, 1, 2].map((i) => client.remote(traceContext).remote(i)));
    } finally {
      await client.close();
    }
    const tasks = exporter.getFinishedSpans().filter((s) => s.name === 'parajob task');
    expect(tasks).toHaveLength(3);
    for (const r of out) {
      // the worker has no SDK: its process span is non-recording and carries the caller's task span
      const task = tasks.find((t) => t.spanContext().spanId === r.spanId);
      expect(task, `task ${r.i} runs under a parajob task span`).toBeDefined();
      expect(r.traceId).toBe(task!.spanContext().traceId);
    }
    expect(new Set(out.map((r) => r.spanId)).size).toBe(3);
  });

  it('a streaming task is one span from submit until its generator ends; leaving early is no failure', async () => {
    exporter.reset();
    const client = await connect();
    const items: number[] = [];
    try {
      const tracer = provider.getTracer('test');
      await tracer.startActiveSpan('user work', async (span) => {
        for await (const x of client.remote(countTo).remote(3, false)) items.push(x);
        await expect(
          (async () => {
            for await (const _ of client.remote(countTo).remote(2, true));
          })(),
        ).rejects.toThrow('stopped after 2');
        for await (const x of client.remote(countTo).remote(1000, false)) if (x === 1) break;
        span.end();
      });
    } finally {
      await client.close();
    }
    expect(items).toEqual([0, 1, 2]);
    const spans = exporter.getFinishedSpans();
    const user = spans.find((s) => s.name === 'user work')!;
    const tasks = spans.filter((s) => s.name === 'parajob task');
    expect(tasks).toHaveLength(3);
    for (const t of tasks) {
      expect(t.parentSpanContext?.spanId).toBe(user.spanContext().spanId);
      expect(t.attributes['parajob.mode']).toBe('ordered');
      expect(t.attributes['parajob.tasks.total']).toBeUndefined();
    }
    const failed = tasks.filter((t) => t.status.code === SpanStatusCode.ERROR);
    expect(failed.map((t) => t.status.message)).toEqual(['stopped after 2']);
  });

  it("a streaming task's items are produced on its worker thread under the caller's task span", async () => {
    exporter.reset();
    const { traceContextStream } = await import('../fixtures/observe/traced-tasks.mjs');
    await enableTracing({ tracerProvider: provider });
    const client = await connect();
    const out: Array<{ i: number; traceId: string | null; spanId: string | null }> = [];
    try {
      for await (const item of client.remote(traceContextStream).remote(3)) out.push(item);
    } finally {
      await client.close();
    }
    const [task] = exporter.getFinishedSpans().filter((s) => s.name === 'parajob task');
    expect(task).toBeDefined();
    expect(out.map((r) => r.i)).toEqual([0, 1, 2]);
    // every item, not only the first: the worker's process span covers the whole generator
    for (const r of out) {
      expect(r.traceId).toBe(task!.spanContext().traceId);
      expect(r.spanId).toBe(task!.spanContext().spanId);
    }
  });
});
