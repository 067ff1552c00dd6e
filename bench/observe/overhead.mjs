#!/usr/bin/env node
/**
 * Observability overhead on the overhead workload (100 000 trivial tasks on worker threads, every
 * core): plain, with tracing into a recording SDK (every span kept in memory), and with metrics().
 *
 * On a shared, loaded machine the noise between two runs is larger than the effect, so the
 * comparison is paired: one process, one warm pool, and every round runs each variant once, back
 * to back, in a rotating order (ABC, BCA, CAB...: no variant always follows the same other one),
 * each after a full garbage collection (every run starts from the same heap). The ratio of a
 * variant to the plain run of the same round is its overhead in that round; reported: the median
 * ratio over the rounds, a 95 % confidence interval of that median, and the interquartile range. Three measures: the call's wall time; the
 * CPU time of the calling thread (where spans and listeners run; /proc/thread-self/schedstat, Linux)
 * and of the whole process (its worker threads too: process.cpuUsage()). Time spent waiting for a
 * core that other processes hold counts in the wall time only: on a loaded machine the CPU times
 * are the measures that can tell a few per cent apart. The process's CPU is also split by thread
 * (Linux): the worker threads, and the rest (V8's garbage-collection and compiler helper threads,
 * libuv's), which the calling thread's garbage makes work.
 *
 *   node bench/observe/overhead.mjs [--n 100000] [--rounds 60] [--breakdown]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { disableTracing, enableTracing, metrics, stopMetrics } from '@parajob/observe';
import { delayed, Parallel } from 'parajob';
import { hollowProvider } from './hollow-provider.mjs';
import { square } from './traced-tasks.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '60' },
    // where tracing's cost goes: a no-op provider (nothing records: parajob does nothing more),
    // hollow spans (all of parajob's tracing work, none of an SDK's), and the SDK's own
    // startSpan/end timed around the calls
    breakdown: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const rounds = Number(values.rounds);
// two recording setups: every span exported as it ends (SimpleSpanProcessor: the costliest), and
// spans queued and exported in the background (BatchSpanProcessor: what NodeSDK sets up by default)
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const batchExporter = new InMemorySpanExporter();
const batchProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(batchExporter)] });
disableTracing(); // the task module turned it on with the global (no-op) provider

/** A provider whose spans time the SDK's own startSpan and end (into sdkMs). */
let sdkMs = 0;
const timedProvider = {
  getTracer(...args) {
    const tracer = provider.getTracer(...args);
    return {
      startSpan(...a) {
        const t0 = performance.now();
        const span = tracer.startSpan(...a);
        sdkMs += performance.now() - t0;
        const end = span.end.bind(span);
        span.end = (...b) => {
          const t1 = performance.now();
          end(...b);
          sdkMs += performance.now() - t1;
        };
        return span;
      },
    };
  },
};
const { ProxyTracerProvider } = await import('@opentelemetry/api');
const breakdown = {
  'tracing (no-op provider)': {
    on: () => enableTracing({ tracerProvider: new ProxyTracerProvider() }),
    off: () => disableTracing(),
  },
  'tracing (hollow spans)': {
    on: () => enableTracing({ tracerProvider: hollowProvider }),
    off: () => disableTracing(),
  },
  'tracing (SDK timed)': {
    on: () => enableTracing({ tracerProvider: timedProvider }),
    off() {
      disableTracing();
      exporter.reset();
    },
  },
};
const sdkPerCall = [];
const variants = {
  plain: { on() {}, off() {} },
  tracing: {
    on: () => enableTracing({ tracerProvider: provider }),
    off() {
      disableTracing();
      exporter.reset();
    },
  },
  'tracing (batch processor)': {
    on: () => enableTracing({ tracerProvider: batchProvider }),
    async off() {
      disableTracing();
      await batchProvider.forceFlush();
      batchExporter.reset();
    },
  },
  metrics: { on: () => void metrics(), off: () => stopMetrics() },
  ...(values.breakdown ? breakdown : {}),
};
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const threadCpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const processCpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const workersCpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const helpersCpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
/** CPU time of this thread in ms (the first field of schedstat: ns on a CPU). */
const threadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
const processCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** ms on a CPU of each of this process's threads, by thread id. */
const tasksCpuMs = () => {
  const cpu = new Map();
  for (const tid of readdirSync('/proc/self/task'))
    try {
      cpu.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch {
      // the thread ended meanwhile
    }
  return cpu;
};
// the threads before the pool starts: this one, V8's helpers, libuv's; the pool adds the workers
const startupThreads = new Set(tasksCpuMs().keys());
const mainThread = String(process.pid);
/** [worker threads, helper threads] ms between two tasksCpuMs() readings. */
const splitCpu = (before, after) => {
  let workers = 0;
  let helpers = 0;
  for (const [tid, ms] of after) {
    if (tid === mainThread) continue;
    const spent = ms - (before.get(tid) ?? 0);
    if (startupThreads.has(tid)) helpers += spent;
    else workers += spent;
  }
  return [workers, helpers];
};
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
    const cpu0 = threadCpuMs();
    const all0 = processCpuMs();
    const tasks0 = tasksCpuMs();
    const t0 = performance.now();
    await run();
    times[name].push(performance.now() - t0);
    threadCpu[name].push(threadCpuMs() - cpu0);
    processCpu[name].push(processCpuMs() - all0);
    const [workers, helpers] = splitCpu(tasks0, tasksCpuMs());
    workersCpu[name].push(workers);
    helpersCpu[name].push(helpers);
    if (name === 'tracing') spans.push(exporter.getFinishedSpans().length);
    if (name === 'tracing (SDK timed)') {
      sdkPerCall.push(sdkMs);
      sdkMs = 0;
    }
    await v.off();
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
/**
 * A variant's per-round ratio to plain: the median, its 95 % confidence interval (order statistics
 * of the sorted ratios, n/2 ± 0.98·√n: no assumption about their distribution) and the IQR.
 */
const paired = (series, name) => {
  const ratios = series[name].map((x, r) => x / series.plain[r]).sort((a, b) => a - b);
  const k = Math.round(0.98 * Math.sqrt(ratios.length));
  const mid = Math.floor((ratios.length - 1) / 2);
  const lo = ratios[Math.max(0, mid - k)];
  const hi = ratios[Math.min(ratios.length - 1, mid + 1 + k)];
  return `${pct(quantile(ratios, 0.5))} (95 % CI ${pct(lo)} … ${pct(hi)}; IQR ${pct(quantile(ratios, 0.25))} … ${pct(quantile(ratios, 0.75))})`;
};
console.log(
  `observability overhead: ${n} trivial tasks, nJobs -1, ${rounds} rounds (each variant once per round, rotating order, gc before each run)`,
);
console.log(
  '  | variant | wall, median | vs plain (same round): median (CI; IQR) | calling thread CPU, median | vs plain: median (CI; IQR) | process CPU, median | vs plain: median (CI; IQR) |',
);
console.log('  | --- | --- | --- | --- | --- | --- | --- |');
const table = (columns) => {
  for (const name of names) {
    const cells = columns.flatMap((series) => [
      `${median(series[name]).toFixed(1)} ms`,
      name === 'plain' ? '' : paired(series, name),
    ]);
    console.log(`  | ${name} | ${cells.join(' | ')} |`);
  }
};
table([times, threadCpu, processCpu]);
console.log('  process CPU by thread:');
console.log(
  '  | variant | worker threads, median | vs plain: median (CI; IQR) | helper threads (GC, compiler, libuv), median | vs plain: median (CI; IQR) |',
);
console.log('  | --- | --- | --- | --- | --- |');
table([workersCpu, helpersCpu]);
console.log(`  spans recorded per traced call: ${median(spans)} (1 call span + 1 per batch)`);
if (values.breakdown)
  console.log(`  the SDK's startSpan + end per traced call: ${median(sdkPerCall).toFixed(2)} ms (median)`);
