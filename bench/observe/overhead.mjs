#!/usr/bin/env node
/**
 * Observability overhead on the overhead workload (100 000 trivial tasks on worker threads, every
 * core): plain, with tracing into a recording SDK (every span kept in memory), and with metrics().
 * One process, the variants measured alternately round after round on the same warm pool, medians
 * reported: on a shared, loaded machine only numbers taken side by side compare. Two measures: the
 * call's wall time, and the main thread's busy time during it (event-loop utilization: where
 * spans and listeners run), which other processes' load disturbs much less.
 *
 *   node bench/observe/overhead.mjs [--n 100000] [--rounds 15]
 */
import { parseArgs } from 'node:util';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { disableTracing, enableTracing, metrics, stopMetrics } from '@parajob/observe';
import { delayed, Parallel } from 'parajob';
import { square } from './traced-tasks.mjs';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '15' } },
});
const n = Number(values.n);
const rounds = Number(values.rounds);
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
disableTracing(); // the task module turned it on with the global (no-op) provider

const variants = {
  plain: { on() {}, off() {} },
  tracing: {
    on: () => enableTracing({ tracerProvider: provider }),
    off() {
      disableTracing();
      exporter.reset();
    },
  },
  metrics: { on: () => void metrics(), off: () => stopMetrics() },
};
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const busy = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const spans = [];
const parallel = new Parallel({ nJobs: -1 });
const inputs = Array.from({ length: n }, (_, i) => i);
const run = () => parallel.run(inputs.map((i) => delayed(square)(i)));
await run(); // warm: pool started, task module imported, auto-batching settled

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const names = Object.keys(variants);
for (let r = 0; r < rounds; r++) {
  // rotate the order so no variant always runs right after the same other one
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + k) % names.length];
    const v = variants[name];
    await v.on();
    const elu = performance.eventLoopUtilization();
    const t0 = performance.now();
    await run();
    times[name].push(performance.now() - t0);
    busy[name].push(performance.eventLoopUtilization(elu).active);
    if (name === 'tracing') spans.push(exporter.getFinishedSpans().length);
    v.off();
  }
}
await parallel.close();
const pct = (m, base) => {
  const p = ((m / base - 1) * 100).toFixed(1);
  return `${p >= 0 ? '+' : ''}${p} %`;
};
console.log(`observability overhead: ${n} trivial tasks, nJobs -1, ${rounds} rounds, medians`);
console.log('  | variant | wall time | vs plain | main thread busy | vs plain |');
console.log('  | --- | --- | --- | --- | --- |');
for (const name of names) {
  const w = median(times[name]);
  const b = median(busy[name]);
  const vs = (x, base) => (name === 'plain' ? '' : pct(x, base));
  console.log(
    `  | ${name} | ${w.toFixed(1)} ms | ${vs(w, median(times.plain))} | ${b.toFixed(1)} ms | ${vs(b, median(busy.plain))} |`,
  );
}
console.log(`  spans recorded per traced call: ${median(spans)} (1 call span + 1 per batch)`);
