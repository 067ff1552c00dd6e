#!/usr/bin/env node
/**
 * Dashboard update latency with 10 000 tasks in flight: a call of 10 000 async tasks, every one
 * dispatched at once (`preDispatch: 'all'`, 10 000 threads-backend workers, batches of 1), each
 * finishing at a random moment over a few seconds; an SSE client (as the page) measures, for every
 * update, the time from the change it shows (`oldestChangeAt`: the first change since the previous update) to its arrival. Prints p50/p99/max.
 *
 *   node bench/observe/dashboard-latency.mjs [--tasks 10000] [--seconds 5]
 */
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
const latencies = [];
let maxInFlight = 0;
const controller = new AbortController();
const res = await fetch(`${dashboard.url.replace(/\/(\?.*)?$/, '')}/events`, { signal: controller.signal });
const reading = (async () => {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      const arrived = Date.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const state = JSON.parse(buffer.slice(buffer.indexOf('data: ') + 6, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const running = state.calls.find((c) => c.status === 'running');
        if (!running) continue;
        maxInFlight = Math.max(maxInFlight, running.dispatched - running.completed);
        latencies.push(arrived - state.oldestChangeAt);
      }
    }
  } catch (error) {
    if (error.name !== 'AbortError') throw error;
  }
})();

await new Parallel({ backend: 'threads', nJobs: tasks, batchSize: 1, preDispatch: 'all' }).run(
  Array.from({ length: tasks }, () => delayed(sleep)(Math.random() * spreadMs)),
);
await sleep(200);
controller.abort();
await reading;
await dashboard.close();
latencies.sort((a, b) => a - b);
console.log(`slowest updates (ms): ${latencies.slice(-5).join(', ')}`);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(
  `dashboard update latency, ${tasks} tasks (at most ${maxInFlight} in flight seen by the page), ${latencies.length} updates: ` +
    `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${latencies.at(-1)} ms`,
);
