/**
 * RSS over a long run of a leaking task, with and without worker recycling (maxMemoryPerWorker),
 * on worker-threads and child-process. Each task keeps 2 MB on its worker for good; every 100
 * tasks the whole process tree's RSS (parent and worker processes) is sampled from /proc.
 *
 *   node bench/recycle-rss.mjs [--tasks 1500] [--limit 96]
 * Prints one markdown table row per configuration (first, last and peak RSS).
 */
import { parseArgs } from 'node:util';
import { ChildProcessBackend, shutdownPools } from '@parajob/child-process';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { delayed, Parallel } from 'parajob';
import { memoryOf, processTree } from './lib/proctree.mjs';
import { leak } from './recycle-tasks.mjs';

const { values } = parseArgs({ options: { tasks: { type: 'string' }, limit: { type: 'string' } } });
const TASKS = Number(values.tasks ?? 1500);
const LIMIT_MB = Number(values.limit ?? 96);
const STEP = 100;
const MB = 1024 * 1024;

function treeRss() {
  let total = 0;
  for (const pid of processTree(process.pid)) total += memoryOf(pid)?.rss ?? 0;
  return total;
}

async function measure(label, backend) {
  const parallel = new Parallel({ nJobs: 2, backend, batchSize: 1 });
  const samples = [];
  const started = Date.now();
  for (let done = 0; done < TASKS; done += STEP) {
    await parallel.run(Array.from({ length: STEP }, () => delayed(leak)(2)));
    samples.push(treeRss());
  }
  await parallel.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const fmt = (bytes) => `${Math.round(bytes / MB)} MB`;
  console.log(
    `| ${label} | ${TASKS} | ${fmt(samples[0])} | ${fmt(samples.at(-1))} | ${fmt(Math.max(...samples))} | ${seconds} s |`,
  );
}

console.log(
  '| backend, limit | tasks (2 MB leaked each) | RSS after 100 | RSS at the end | peak RSS | time |',
);
console.log('|---|---|---|---|---|---|');
await measure('worker-threads, no limit', new WorkerThreadsBackend());
await shutdownWorkerThreadsPools();
await measure(
  `worker-threads, maxMemoryPerWorker ${LIMIT_MB}`,
  new WorkerThreadsBackend({ maxMemoryPerWorker: LIMIT_MB }),
);
await shutdownWorkerThreadsPools();
await measure('child-process, no limit', new ChildProcessBackend());
await shutdownPools();
await measure(
  `child-process, maxMemoryPerWorker ${LIMIT_MB}`,
  new ChildProcessBackend({ maxMemoryPerWorker: LIMIT_MB }),
);
await shutdownPools();
