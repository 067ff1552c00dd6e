// One instrumented cold start for bench/coldstart/phases.mjs: argv[2] = 'parajob' | 'piscina'.
// The same program as workload 3 (import, 10 trivial tasks on 2 workers, exit), with marks.
import { threadCpuMs } from './thread-sample.mjs';

const now = () => performance.timeOrigin + performance.now();
const marks = { origin: performance.timeOrigin, script: now(), scriptCpu: threadCpuMs() };
let results;
if (process.argv[2] === 'parajob') {
  const { delayed, Parallel } = await import('parajob');
  const { timedSquare } = await import('./phase-tasks.mjs');
  Object.assign(marks, { imported: now(), importedCpu: threadCpuMs() });
  results = await new Parallel({ nJobs: 2 }).run(
    Array.from({ length: 10 }, (_, i) => delayed(timedSquare)(i)),
  );
} else {
  const { default: Piscina } = await import('piscina');
  Object.assign(marks, { imported: now(), importedCpu: threadCpuMs() });
  const pool = new Piscina({
    filename: new URL('../peers/timed-square.mjs', import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
  });
  results = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.run(i)));
  Object.assign(marks, { done: now(), doneCpu: threadCpuMs() });
  await pool.destroy();
}
marks.done ??= now();
marks.doneCpu ??= threadCpuMs();
if (results[9].value !== 81) throw new Error(`wrong result ${JSON.stringify(results[9])}`);
// each worker's first task: when it started and the thread's CPU by then
const first = new Map();
for (const r of results)
  if (!first.has(r.threadId) || r.at < first.get(r.threadId).at) first.set(r.threadId, r);
marks.workers = [...first.values()].map(({ at, cpuMs }) => ({ at, cpuMs }));
process.on('exit', () => {
  marks.exit = now();
  console.log(`PHASES ${JSON.stringify(marks)}`);
});
