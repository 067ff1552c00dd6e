/**
 * `parajob dashboard` on a NATS namespace, as a user sees it in headless Chromium: a real
 * nats-server, a real `parajob worker nats`, the dashboard command, and a driver in this process.
 * The worker appears with its version and capacity, a call's progress reaches 100 %, and a failed
 * task shows with its index and the worker that ran it. Also: `worker nats --metrics` scraped and
 * parsed, and the trace context reaching the tasks on a NATS worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { connect } from '@parajob/client';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { disableTracing, enableTracing } from '@parajob/observe';
import { parseExposition, value } from '@parajob/observe/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failAt } from '../fixtures/nats/observe-tasks.mjs';
import { markedSquare } from '../fixtures/nats/tasks.mjs';
import { artifact, hasChromium, launchChromium } from '../helpers/browser.js';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { CLI } from '../helpers/nats-workers.js';

/** Starts `parajob dashboard`; resolves with its URL (its ready line) and the process. */
function startDashboardCommand(
  args: string[],
): Promise<{ url: string; child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'dashboard', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = / on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, exited });
    });
    void exited.then((code) => reject(new Error(`parajob dashboard exited with ${code}:\n${err}`)));
  });
}

describe.runIf(natsServerAvailable() && hasChromium)('parajob dashboard on a NATS namespace', () => {
  const env = natsTestEnvironment();
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the worker, a call reaching 100 %, and a failed task with its worker', async () => {
    const ns = 'dash';
    const worker = await env.worker(ns, ['--concurrency', '2']);
    const dashboard = await startDashboardCommand([
      '--servers',
      env.server.url,
      '--namespace',
      ns,
      '--listen',
      '127.0.0.1:0',
    ]);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      await page.goto(dashboard.url);
      await page.locator('#title', { hasText: `NATS namespace ${ns}` }).waitFor();
      const row = page.locator('#workers tr', { hasText: `:${worker.child.pid}` });
      await row.waitFor();
      expect(await row.textContent()).toContain('/ 2');

      const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
      await using parallel = new Parallel({ nJobs: -1, batchSize: 2, backend });
      await parallel.run(Array.from({ length: 20 }, (_, i) => delayed(markedSquare)(i, 20, null)));
      const done = page.locator('#calls tr[data-status="completed"]').first();
      await done.waitFor({ timeout: 20_000 });
      expect(await done.locator('.pct').textContent()).toBe('100 %');
      expect(await done.locator('td').nth(5).textContent()).toBe('20 / 20');

      await expect(parallel.run(Array.from({ length: 8 }, (_, i) => delayed(failAt)(i, 5)))).rejects.toThrow(
        'input 5 is not allowed',
      );
      const error = page.locator('#errors tr[data-task="5"]');
      await error.waitFor({ timeout: 20_000 });
      expect(await error.locator('.task').textContent()).toBe('task 5');
      const text = (await error.textContent()) ?? '';
      expect(text).toContain('RangeError: input 5 is not allowed');
      // the worker that ran it: its registry id names its pid
      expect(text).toContain(`-${worker.child.pid}-`);
      await page.locator('#calls tr[data-status="failed"]').waitFor({ timeout: 20_000 });
      await page.screenshot({ path: artifact('dashboard-nats.png'), fullPage: true });
    } finally {
      await page.close();
      dashboard.child.kill('SIGTERM');
      expect(await dashboard.exited).toBe(0);
    }
  });

  it('parajob worker nats --metrics: tasks, batches and their time in the queue, scraped and parsed', async () => {
    const ns = 'metrics';
    const worker = await env.worker(ns, ['--concurrency', '2', '--metrics', '127.0.0.1:0']);
    let url: string | undefined;
    for (let i = 0; i < 100 && url === undefined; i++) {
      url = /metrics on (http:\/\/\S+)/.exec(worker.stderr())?.[1];
      if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(url, worker.stderr()).toBeDefined();
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
    await using parallel = new Parallel({ nJobs: -1, batchSize: 3, backend });
    await parallel.run(Array.from({ length: 12 }, (_, i) => delayed(markedSquare)(i, 5, null)));
    const res = await fetch(url!);
    const e = parseExposition(await res.text());
    const w = { backend: 'nats', role: 'worker' };
    expect(value(e, 'parajob_tasks_total', { ...w, outcome: 'completed' })).toBe(12);
    const batches = value(e, 'parajob_batches_total', { ...w, outcome: 'completed' });
    expect(value(e, 'parajob_queue_wait_seconds_count', w)).toBe(batches);
    expect(value(e, 'parajob_queue_wait_seconds_sum', w)).toBeGreaterThanOrEqual(0);
    // nothing was redelivered: the counter has no series yet
    expect(e.samples.some((s) => s.name === 'parajob_redeliveries_total')).toBe(false);
  });

  it("the caller's trace context reaches the tasks on a NATS worker", async () => {
    const ns = 'traced';
    await env.worker(ns, ['--concurrency', '2']);
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    // importing the module turns tracing on here too (and in the worker, which imports it)
    const { natsTraceContext } = await import('../fixtures/nats/traced-tasks.mjs');
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
    await using parallel = new Parallel({ nJobs: -1, batchSize: 2, backend });
    const out = await parallel.run(Array.from({ length: 6 }, (_, i) => delayed(natsTraceContext)(i)));
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === 'parajob call')!;
    const sends = spans.filter((s) => s.name === 'send nats').map((s) => s.spanContext().spanId);
    expect(sends.length).toBeGreaterThan(0);
    for (const r of out) {
      expect(r.traceId).toBe(call.spanContext().traceId);
      expect(sends).toContain(r.spanId);
    }
  });

  it("a Ray-like client task's span reaches its NATS worker on the wire", async () => {
    const ns = 'traced-client';
    await env.worker(ns, ['--concurrency', '2']);
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const { natsTraceContext } = await import('../fixtures/nats/traced-tasks.mjs');
    // the module turned tracing on with the global provider: this test records into its own
    await enableTracing({ tracerProvider: provider });
    const client = await connect({ servers: env.server.url, namespace: ns });
    let out: Array<{ i: number; traceId: string | null; spanId: string | null }>;
    try {
      out = await client.get([0, 1, 2].map((i) => client.remote(natsTraceContext).remote(i)));
    } finally {
      await client.close();
      disableTracing();
    }
    const spans = exporter.getFinishedSpans();
    const tasks = spans.filter((s) => s.name === 'parajob task');
    expect(tasks).toHaveLength(3);
    for (const r of out) {
      // the worker has no SDK: its process span is non-recording and carries the caller's task span
      const task = tasks.find((t) => t.spanContext().spanId === r.spanId);
      expect(task, `task ${r.i} runs under a parajob task span`).toBeDefined();
      expect(r.traceId).toBe(task!.spanContext().traceId);
    }
    expect(new Set(out.map((r) => r.spanId)).size).toBe(3);
  });

  it('refuses to listen beyond loopback without --token', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'dashboard', '--servers', env.server.url, '--listen', '0.0.0.0:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/binding to 0\.0\.0\.0 .* give a token/);
  });
});
