#!/usr/bin/env node
/**
 * Dashboard update latency with 10 000 tasks in flight: a call of 10 000 async tasks, every one
 * dispatched at once (`preDispatch: 'all'`, 10 000 threads-backend workers, batches of 1), each
 * finishing at a random moment over a few seconds. The page's side runs in its own process, as a
 * browser does (sse-latency-reader.mjs): for every update, the time from the change it shows (the
 * first change since the previous update) to its arrival. Also the calling process's worst
 * event-loop delay. Prints p50/p99/max.
 *
 *   node bench/observe/dashboard-latency.mjs [--tasks 10000] [--seconds 5]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startDashboard } from '@parajob/observe';
import { delayed, Parallel } from 'parajob';

const { values } = parseArgs({
  options: { tasks: { type: 'string', default: '10000' }, seconds: { type: 'string', default: '5' } },
});
const tasks = Number(values.tasks);
const spreadMs = Number(values.seconds) * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dashboard = await startDashboard({ port: 0 });
const reader = spawn(
  process.execPath,
  [
    new URL('./sse-latency-reader.mjs', import.meta.url).pathname,
    `${dashboard.url.replace(/\/(\?.*)?$/, '')}/events`,
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const lines = createInterface({ input: reader.stdout })[Symbol.asyncIterator]();
if ((await lines.next()).value !== 'ready') throw new Error('the SSE reader did not start');

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
await new Parallel({ backend: 'threads', nJobs: tasks, batchSize: 1, preDispatch: 'all' }).run(
  Array.from({ length: tasks }, () => delayed(sleep)(Math.random() * spreadMs)),
);
loopDelay.disable();
await sleep(200);
reader.stdin.end();
const { latencies, maxInFlight } = JSON.parse((await lines.next()).value);
await once(reader, 'exit');
await dashboard.close();
latencies.sort((a, b) => a - b);
console.log(`slowest updates (ms): ${latencies.slice(-5).join(', ')}`);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(
  `dashboard update latency, ${tasks} tasks (at most ${maxInFlight} in flight seen by the page), ${latencies.length} updates: ` +
    `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${latencies.at(-1)} ms; ` +
    `caller's event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
);
