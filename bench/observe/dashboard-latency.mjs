#!/usr/bin/env node
/**
 * Dashboard update latency with 10 000 tasks in flight: a call of 10 000 async tasks, every one
 * dispatched at once (`preDispatch: 'all'`, 10 000 threads-backend workers, batches of 1), each
 * finishing at a random moment over a few seconds.
 *
 * Latency of an update: from the moment this process records the oldest change the update is the
 * first to show (a batch starting or ending, as parajob's instrumentation sees it: the state's
 * `oldestChangeAt`), to the moment the event arrives at the page's side, which runs in its own
 * process as a browser does (sse-latency-reader.mjs). It includes the coalescing wait (at most
 * `intervalMs`, 50 ms by default), the JSON, the socket and the reader's own event loop.
 *
 * Each run is a fresh process; `thread` (the default dashboard: its own thread) and `caller` (the
 * same page served from the caller's thread: `source: processSource()`, as before) alternate
 * (ABAB...). Prints, per mode, the median over runs of each run's p50/p99/max, and the p99 of all
 * updates pooled; also the caller's worst event-loop delay.
 *
 * "until built": the part of the latency before the dashboard built the update (the state's `now`).
 * The page process's own event-loop delay shows how much CPU the machine left to an idle process.
 *
 *   node bench/observe/dashboard-latency.mjs [--runs 5] [--modes thread,caller] [--tasks 10000] [--seconds 5] [--interval 50]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { processSource, startDashboard } from '@parajob/observe';
import { delayed, Parallel } from 'parajob';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'thread,caller' },
    interval: { type: 'string', default: '50' },
    child: { type: 'string' },
  },
});
const tasks = Number(values.tasks);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const median = (xs) =>
  q(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** One run in this process: prints one JSON line. */
async function runOnce(mode) {
  const intervalMs = Number(values.interval);
  const dashboard = await startDashboard(
    mode === 'caller' ? { port: 0, intervalMs, source: processSource('bench') } : { port: 0, intervalMs },
  );
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
  await sleep(100); // the reader's first event (the state before the call) is not counted
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const spreadMs = Number(values.seconds) * 1000;
  await new Parallel({ backend: 'threads', nJobs: tasks, batchSize: 1, preDispatch: 'all' }).run(
    Array.from({ length: tasks }, () => delayed(sleep)(Math.random() * spreadMs)),
  );
  loopDelay.disable();
  await sleep(200);
  reader.stdin.end();
  const { latencies, built, maxInFlight, readerLoopMax } = JSON.parse((await lines.next()).value);
  await once(reader, 'exit');
  await dashboard.close();
  const loop = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  console.log(JSON.stringify({ mode, latencies, built, maxInFlight, loop, readerLoopMax }));
}

if (values.child) await runOnce(values.child);
else {
  const modes = values.modes.split(',');
  const runs = Number(values.runs);
  const results = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < runs; r++)
    for (const mode of r % 2 ? [...modes].reverse() : modes) {
      const child = spawn(
        process.execPath,
        [
          new URL(import.meta.url).pathname,
          '--child',
          mode,
          '--tasks',
          values.tasks,
          '--seconds',
          values.seconds,
          '--interval',
          values.interval,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      const [code] = await once(child, 'exit');
      if (code !== 0) throw new Error(`run ${r} (${mode}) exited with ${code}`);
      const res = JSON.parse(out.trim().split('\n').at(-1));
      res.latencies.sort((a, b) => a - b);
      res.built.sort((a, b) => a - b);
      results[mode].push(res);
      const l = res.latencies;
      console.log(
        `run ${r + 1} ${mode}: ${l.length} updates, p50 ${q(l, 0.5)} ms, p99 ${q(l, 0.99)} ms, max ${l.at(-1)} ms ` +
          `(until built: p99 ${q(res.built, 0.99)} ms), ` +
          `in flight ≤ ${res.maxInFlight}; caller's event-loop delay p99 ${res.loop.p99.toFixed(0)} ms, max ${res.loop.max.toFixed(0)} ms`,
      );
    }
  console.log(
    `\ndashboard update latency, ${tasks} tasks, intervalMs ${values.interval}, ${runs} runs per mode (fresh process each, alternating)`,
  );
  const header = [
    'dashboard served from',
    'p50 (median of runs)',
    'p99 (median of runs)',
    'p99 (runs: min – max)',
    'p99, all updates pooled',
    'max',
    'p99 until built (median)',
    "caller's loop delay p99 / max (medians)",
    "page process's loop delay max (median)",
  ];
  console.log(`| ${header.join(' | ')} |\n|${' --- |'.repeat(header.length)}`);
  const ms = (x) => `${Math.round(x)} ms`;
  for (const mode of modes) {
    const rs = results[mode];
    const p99s = rs.map((x) => q(x.latencies, 0.99));
    const all = rs.flatMap((x) => x.latencies).sort((a, b) => a - b);
    const row = [
      mode === 'thread' ? 'its own thread (default)' : "the caller's thread (`source: processSource()`)",
      ms(median(rs.map((x) => q(x.latencies, 0.5)))),
      ms(median(p99s)),
      `${Math.min(...p99s)} – ${ms(Math.max(...p99s))}`,
      ms(q(all, 0.99)),
      ms(all.at(-1)),
      ms(median(rs.map((x) => q(x.built, 0.99)))),
      `${Math.round(median(rs.map((x) => x.loop.p99)))} / ${ms(median(rs.map((x) => x.loop.max)))}`,
      ms(median(rs.map((x) => x.readerLoopMax))),
    ];
    console.log(`| ${row.join(' | ')} |`);
  }
}
