#!/usr/bin/env node
import { parseArgs } from 'node:util';
/**
 * Observability overhead on the overhead workload (100 000 trivial tasks on worker threads, every
 * core): plain, with tracing into a recording SDK (every span kept in memory), and with metrics().
 *
 * On a shared, loaded machine the noise between two runs is larger than the effect, so the
 * comparison is paired: one process, one warm pool, and every round runs each variant once, back
 * to back, in a rotating order (ABC, BCA, CAB...: no variant always follows the same other one),
 * each after a full garbage collection (every run starts from the same heap). The ratio of a
 * variant to the plain run of the same round is its overhead in that round; reported: the median
 * ratio over the rounds and its interquartile range. Two measures: the call's wall time, and the
 * main thread's busy time during it (event-loop utilization: where spans and listeners run), which
 * other processes' load disturbs much less.
 *
 *   node bench/observe/overhead.mjs [--n 100000] [--rounds 60]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { disableTracing, enableTracing, metrics, stopMetrics } from '@parajob/observe';
import { delayed, Parallel } from 'parajob';
import { square } from './traced-tasks.mjs';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '60' } },
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
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
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
    gc();
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
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const pct = (ratio) => {
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? '+' : '−'}${Math.abs(p).toFixed(1)} %`;
};
/** The median and interquartile range of a variant's per-round ratio to plain. */
const paired = (series, name) => {
  const ratios = series[name].map((x, r) => x / series.plain[r]);
  return `${pct(quantile(ratios, 0.5))} (IQR ${pct(quantile(ratios, 0.25))} … ${pct(quantile(ratios, 0.75))})`;
};
console.log(
  `observability overhead: ${n} trivial tasks, nJobs -1, ${rounds} rounds (each variant once per round, rotating order, gc before each run)`,
);
console.log(
  '  | variant | wall time, median | vs plain, same round: median (IQR) | main thread busy, median | vs plain, same round: median (IQR) |',
);
console.log('  | --- | --- | --- | --- | --- |');
for (const name of names) {
  const first = name === 'plain';
  console.log(
    `  | ${name} | ${median(times[name]).toFixed(1)} ms | ${first ? '' : paired(times, name)} | ${median(busy[name]).toFixed(1)} ms | ${first ? '' : paired(busy, name)} |`,
  );
}
console.log(`  spans recorded per traced call: ${median(spans)} (1 call span + 1 per batch)`);
