/**
 * The trace context reaches tasks in child processes: the caller's batch span travels in the
 * process message (`wire.traceparent`), and a task's own spans nest under it.
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ChildProcessBackend, shutdownPools } from '@parajob/child-process';
import { delayed, Parallel } from '@parajob/core';
import { disableTracing } from '@parajob/observe';
import { afterAll, describe, expect, it } from 'vitest';

describe('tracing across child processes', () => {
  afterAll(async () => {
    disableTracing();
    trace.disable();
    await shutdownPools();
  });

  it("the caller's trace context reaches the tasks in child processes", async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    // importing the module turns tracing on here too (and in each child, which imports it)
    const { traceContext } = await import('../fixtures/observe/traced-tasks.mjs');
    const out = await new Parallel({ nJobs: 2, batchSize: 2, backend: new ChildProcessBackend() }).run(
      Array.from({ length: 6 }, (_, i) => delayed(traceContext)(i)),
    );
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === 'parajob call')!;
    const sends = spans.filter((s) => s.name === 'send child-process');
    expect(sends.length).toBeGreaterThan(0);
    for (const r of out) {
      expect(r.traceId).toBe(call.spanContext().traceId);
      const send = sends.find((s) => s.spanContext().spanId === r.spanId);
      expect(send, `task ${r.i} runs under a send span`).toBeDefined();
      const first = send!.attributes['parajob.batch.first_index'] as number;
      expect(r.i - first).toBeGreaterThanOrEqual(0);
      expect(r.i - first).toBeLessThan(2);
    }
  });
});
