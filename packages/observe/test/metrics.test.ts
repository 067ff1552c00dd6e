import { delayed, Parallel } from '@parajob/core';
import {
  encodeBatch,
  reportBatchRetried,
  reportWorkerReplaced,
  runBatch,
  TaskBatch,
} from '@parajob/core/backend';
import { afterEach, describe, expect, it } from 'vitest';
import {
  metrics,
  ParajobMetrics,
  serveWorkerMetrics,
  stopMetrics,
  workerBatchWatcher,
} from '../src/index.js';
import { parseExposition, value } from '../src/testing.js';
import { busy, double, failOn } from './fixtures/tasks.mjs';
import { InlineBackend, QueuedWireBackend } from './helpers.js';

afterEach(() => stopMetrics());

describe('driver metrics()', () => {
  it('counts calls, batches and tasks by outcome, with durations, in valid exposition text', async () => {
    const registry = metrics();
    registry.resetMetrics();
    await new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 4 }).run(
      Array.from({ length: 12 }, (_, i) => delayed(double)(i)),
    );
    await expect(
      new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 1 }).run(
        [0, 1, 2].map((i) => delayed(failOn)(i, 0)),
      ),
    ).rejects.toThrow(RangeError);
    const e = parseExposition(await registry.metrics());
    const b = { backend: 'inline', role: 'driver' };
    expect(e.types.get('parajob_tasks_total')).toBe('counter');
    expect(e.types.get('parajob_batch_duration_seconds')).toBe('histogram');
    expect(value(e, 'parajob_calls_total', { ...b, outcome: 'completed' })).toBe(1);
    expect(value(e, 'parajob_calls_total', { ...b, outcome: 'failed' })).toBe(1);
    expect(value(e, 'parajob_tasks_total', { ...b, outcome: 'completed' })).toBeGreaterThanOrEqual(12);
    expect(value(e, 'parajob_tasks_total', { ...b, outcome: 'failed' })).toBe(1);
    expect(value(e, 'parajob_batches_total', { ...b, outcome: 'failed' })).toBe(1);
    const batches =
      value(e, 'parajob_batches_total', { ...b, outcome: 'completed' }) +
      value(e, 'parajob_batches_total', { ...b, outcome: 'failed' });
    expect(value(e, 'parajob_batch_duration_seconds_count', b)).toBe(batches);
    expect(value(e, 'parajob_batch_duration_seconds_bucket', { ...b, le: '+Inf' })).toBe(batches);
    expect(value(e, 'parajob_calls_in_flight', b)).toBe(0);
    expect(value(e, 'parajob_tasks_in_flight', b)).toBe(0);
    // the process metrics: RSS and event-loop delay
    expect(value(e, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(e.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it("splits a batch's time into queue wait and run time when the worker's answer says", async () => {
    const registry = metrics();
    registry.resetMetrics();
    // each batch waits 150 ms for a worker, then runs 60 ms (nJobs 2: nJobs 1 runs in the caller)
    await new Parallel({ nJobs: 2, backend: new QueuedWireBackend(150), batchSize: 1 }).run(
      [60, 60, 60].map((ms) => delayed(busy)(ms)),
    );
    const e = parseExposition(await registry.metrics());
    const b = { backend: 'queued-wire', role: 'driver' };
    expect(e.types.get('parajob_batch_run_seconds')).toBe('histogram');
    expect(value(e, 'parajob_batch_run_seconds_count', b)).toBe(3);
    expect(value(e, 'parajob_queue_wait_seconds_count', b)).toBe(3);
    expect(value(e, 'parajob_batch_run_seconds_sum', b)).toBeGreaterThanOrEqual(0.15);
    expect(value(e, 'parajob_queue_wait_seconds_sum', b)).toBeGreaterThanOrEqual(0.4);
    // the two parts add up to the batch's duration
    expect(
      value(e, 'parajob_batch_run_seconds_sum', b) + value(e, 'parajob_queue_wait_seconds_sum', b),
    ).toBeCloseTo(value(e, 'parajob_batch_duration_seconds_sum', b), 6);
  });

  it('observes no split for a backend whose answer does not say its run time', async () => {
    const registry = metrics();
    registry.resetMetrics();
    await new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 1 }).run([delayed(double)(1)]);
    const e = parseExposition(await registry.metrics());
    const b = { backend: 'inline', role: 'driver' };
    expect(value(e, 'parajob_batch_duration_seconds_count', b)).toBe(1);
    expect(e.samples.filter((s) => s.name === 'parajob_batch_run_seconds_count')).toEqual([]);
  });

  it('counts the workers its backends replace and the batches they send again, by reason', async () => {
    const registry = metrics();
    registry.resetMetrics();
    reportWorkerReplaced('worker-threads', 'crash');
    reportWorkerReplaced('worker-threads', 'timeout');
    reportWorkerReplaced('worker-threads', 'timeout');
    reportBatchRetried('grpc', 'lost-worker');
    const e = parseExposition(await registry.metrics());
    const d = { role: 'driver' };
    expect(e.types.get('parajob_worker_restarts_total')).toBe('counter');
    expect(
      value(e, 'parajob_worker_restarts_total', { ...d, backend: 'worker-threads', reason: 'crash' }),
    ).toBe(1);
    expect(
      value(e, 'parajob_worker_restarts_total', { ...d, backend: 'worker-threads', reason: 'timeout' }),
    ).toBe(2);
    expect(value(e, 'parajob_batch_retries_total', { ...d, backend: 'grpc', reason: 'lost-worker' })).toBe(1);
    // stopped: no longer counted
    stopMetrics();
    reportWorkerReplaced('worker-threads', 'crash');
    const after = parseExposition(await registry.metrics());
    expect(
      value(after, 'parajob_worker_restarts_total', { ...d, backend: 'worker-threads', reason: 'crash' }),
    ).toBe(1);
  });

  it('counts the failed tasks of runSettled calls', async () => {
    const registry = metrics();
    registry.resetMetrics();
    const settled = await new Parallel({ nJobs: 2, backend: new InlineBackend(), batchSize: 3 }).runSettled(
      Array.from({ length: 6 }, (_, i) => delayed(failOn)(i, 4)),
    );
    expect(settled.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const e = parseExposition(await registry.metrics());
    const b = { backend: 'inline', role: 'driver' };
    expect(value(e, 'parajob_tasks_total', { ...b, outcome: 'completed' })).toBe(5);
    expect(value(e, 'parajob_tasks_total', { ...b, outcome: 'failed' })).toBe(1);
    expect(value(e, 'parajob_calls_total', { ...b, outcome: 'completed' })).toBe(1);
  });

  it('stops counting after stopMetrics(), keeps the values, and resumes on the same registry', async () => {
    const registry = metrics();
    const calls = async () =>
      value(parseExposition(await registry.metrics()), 'parajob_calls_total', {
        backend: 'inline',
        outcome: 'completed',
      });
    const before = await calls();
    stopMetrics();
    await new Parallel({ nJobs: 2, backend: new InlineBackend() }).run([delayed(double)(1)]);
    expect(await calls()).toBe(before);
    expect(metrics()).toBe(registry);
    await new Parallel({ nJobs: 2, backend: new InlineBackend() }).run([delayed(double)(1)]);
    expect(await calls()).toBe(before + 1);
  });
});

describe('worker metrics server', () => {
  it('serves /metrics over HTTP, fed by the batches a worker runs', async () => {
    const server = await serveWorkerMetrics('127.0.0.1:0', 'test');
    try {
      for (const [first, bad] of [
        [0, -1],
        [10, 12],
      ] as const) {
        const batch = new TaskBatch({
          callId: 'c1',
          firstIndex: first,
          tasks: Array.from({ length: 5 }, (_, i) => delayed(failOn)(first + i, bad)),
          nested: null,
          depth: 1,
          settle: false,
        });
        const wire = encodeBatch(batch);
        const ended = server.observer.started(wire);
        ended(await runBatch(wire));
      }
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const e = parseExposition(await res.text());
      const w = { backend: 'test', role: 'worker' };
      expect(value(e, 'parajob_batches_total', { ...w, outcome: 'completed' })).toBe(1);
      expect(value(e, 'parajob_batches_total', { ...w, outcome: 'failed' })).toBe(1);
      // 5 of the first batch, 2 before the failure in the second
      expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'completed' })).toBe(7);
      expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'failed' })).toBe(1);
      expect(value(e, 'parajob_task_duration_seconds_count', w)).toBe(2);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it("counts the worker's own threads replaced, until it stops", async () => {
    const server = await serveWorkerMetrics('127.0.0.1:0', 'grpc');
    try {
      reportWorkerReplaced('worker-threads', 'timeout');
      const e = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
      expect(
        value(e, 'parajob_worker_restarts_total', {
          role: 'worker',
          backend: 'worker-threads',
          reason: 'timeout',
        }),
      ).toBe(1);
    } finally {
      await server.stop();
    }
    reportWorkerReplaced('worker-threads', 'timeout');
    expect(
      value(parseExposition(await server.metrics.text()), 'parajob_worker_restarts_total', {
        backend: 'worker-threads',
      }),
    ).toBe(1);
  });

  it('refuses a bad address with a message naming --metrics', async () => {
    await expect(serveWorkerMetrics('localhost:99999', 'test')).rejects.toThrow(
      /--metrics "localhost:99999"/,
    );
  });

  it('a watcher counts redeliveries and the time a batch waited in the queue', async () => {
    const m = new ParajobMetrics('worker');
    const watcher = workerBatchWatcher(m, 'nats');
    watcher.started({ size: 1 } as never, { attempt: 1, queuedAt: Date.now() - 1_500 })({
      values: [1],
    } as never);
    watcher.started({ size: 1 } as never, { attempt: 2, queuedAt: Date.now() + 60_000 })({
      values: [1],
    } as never);
    const e = parseExposition(await m.text());
    const w = { backend: 'nats', role: 'worker' };
    expect(value(e, 'parajob_redeliveries_total', w)).toBe(1);
    expect(value(e, 'parajob_queue_wait_seconds_count', w)).toBe(2);
    // 1.5 s and, for a queue clock ahead of this host's, 0 (skew is not time)
    expect(value(e, 'parajob_queue_wait_seconds_sum', w)).toBeGreaterThanOrEqual(1.5);
    expect(value(e, 'parajob_queue_wait_seconds_sum', w)).toBeLessThan(30);
    expect(value(e, 'parajob_queue_wait_seconds_bucket', { ...w, le: '1' })).toBe(1);
  });

  it("a watcher adds the wait for a thread (its time minus the answer's runMs) to the queue's", async () => {
    const m = new ParajobMetrics('worker');
    const end = workerBatchWatcher(m, 'nats').started({ size: 1 } as never, { queuedAt: Date.now() - 1_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    end({ values: [1], runMs: 50 } as never);
    const e = parseExposition(await m.text());
    const w = { backend: 'nats', role: 'worker' };
    expect(value(e, 'parajob_queue_wait_seconds_count', w)).toBe(1);
    expect(value(e, 'parajob_batch_run_seconds_count', w)).toBe(1);
    expect(value(e, 'parajob_batch_run_seconds_sum', w)).toBeCloseTo(0.05, 6);
    // 1 s in the stream, then at least 150 ms for a thread
    expect(value(e, 'parajob_queue_wait_seconds_sum', w)).toBeGreaterThanOrEqual(1.14);
  });

  it('a watcher counts settled batches per failed task', () => {
    const m = new ParajobMetrics('worker');
    const watcher = workerBatchWatcher(m, 'x');
    const end = watcher.started({ size: 4 } as never);
    end({ values: [], errors: [[1, { ctor: 'Error', name: 'Error', message: 'a', props: {} }]] } as never);
    return m.text().then((text) => {
      const e = parseExposition(text);
      expect(value(e, 'parajob_tasks_total', { backend: 'x', outcome: 'completed' })).toBe(3);
      expect(value(e, 'parajob_tasks_total', { backend: 'x', outcome: 'failed' })).toBe(1);
    });
  });
});
