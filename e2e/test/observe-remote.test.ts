/**
 * Observability across a real `parajob worker grpc`: `--metrics` serves Prometheus text that the
 * test scrapes over HTTP and parses, and the trace context reaches the worker's tasks.
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { delayed, Parallel } from '@parajob/core';
import { GrpcBackend } from '@parajob/grpc';
import { parseExposition, value } from '@parajob/observe/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startGrpcCliWorker, stopGrpcCliWorkers } from '../fixtures/grpc/workers.js';
import { failAt, slowSquare } from '../fixtures/observe/tasks.mjs';

/** The metrics URL the worker logged on stderr. */
async function metricsUrl(stderr: () => string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const m = /metrics on (http:\/\/\S+)/.exec(stderr());
    if (m) return m[1]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no metrics address in the worker's stderr:\n${stderr()}`);
}

describe('observability across a grpc worker', () => {
  afterEach(stopGrpcCliWorkers);

  it('parajob worker grpc --metrics serves what the worker ran, as valid exposition text', async () => {
    const worker = await startGrpcCliWorker(['--metrics', '127.0.0.1:0']);
    const url = await metricsUrl(worker.stderr);
    await using parallel = new Parallel({
      nJobs: -1,
      batchSize: 4,
      backend: new GrpcBackend({ workers: [worker.address] }),
    });
    const scrape = async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(await res.text());
    };
    const w = { backend: 'grpc', role: 'worker' };
    await parallel.run(Array.from({ length: 20 }, (_, i) => delayed(slowSquare)(i, 1)));
    let e = await scrape();
    expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'completed' })).toBe(20);
    const batches = value(e, 'parajob_batches_total', { ...w, outcome: 'completed' });
    expect(value(e, 'parajob_batch_duration_seconds_count', w)).toBe(batches);
    expect(value(e, 'parajob_task_duration_seconds_count', w)).toBe(batches);
    expect(e.samples.some((s) => s.name === 'parajob_tasks_total' && s.labels.outcome === 'failed')).toBe(
      false,
    );

    await expect(parallel.run(Array.from({ length: 4 }, (_, i) => delayed(failAt)(i, 2)))).rejects.toThrow(
      RangeError,
    );
    e = await scrape();
    expect(value(e, 'parajob_batches_total', { ...w, outcome: 'failed' })).toBe(1);
    expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'failed' })).toBe(1);
    // tasks 0 and 1 ran before the failure; task 3 may have run too, in a batch of its own
    expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'completed' })).toBeGreaterThanOrEqual(22);
    expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'completed' })).toBeLessThanOrEqual(23);
    expect(value(e, 'parajob_batches_in_flight', w)).toBe(0);
    expect(value(e, 'process_resident_memory_bytes', { role: 'worker' })).toBeGreaterThan(0);
  });

  it('a bad --metrics address is a usage error naming the flag', async () => {
    await expect(startGrpcCliWorker(['--metrics', 'nowhere'])).rejects.toThrow(/--metrics "nowhere"/);
  });

  it("the caller's trace context reaches the tasks on the grpc worker", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    // importing the module turns tracing on here too (and in the worker, which imports it)
    const { traceContext } = await import('../fixtures/observe/traced-tasks.mjs');
    const worker = await startGrpcCliWorker();
    await using parallel = new Parallel({
      nJobs: -1,
      batchSize: 2,
      backend: new GrpcBackend({ workers: [worker.address] }),
    });
    const out = await parallel.run(Array.from({ length: 6 }, (_, i) => delayed(traceContext)(i)));
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === 'parajob call')!;
    const sends = spans.filter((s) => s.name === 'send grpc');
    expect(sends.length).toBeGreaterThan(0);
    for (const r of out) {
      expect(r.traceId).toBe(call.spanContext().traceId);
      expect(sends.map((s) => s.spanContext().spanId)).toContain(r.spanId);
    }
  });
});
