/**
 * Workload 5, distributed: the overhead and scaling workloads through @parajob/nats, against
 * workers the harness started (`parajob worker nats --servers URL --concurrency 1`, two of them).
 * Spec: { task: 'square' | 'burn', servers, n, iters?, generator? }
 */
import { memoryOf } from '../lib/proctree.mjs';
import { main, timed } from '../lib/subject.mjs';
import { burn } from '../work.mjs';

await main(async ({ task, servers, n, iters, generator = false }) => {
  const { Parallel, delayed } = await import('parajob');
  const { NatsBackend } = await import('@parajob/nats');
  const tasks = await import('../tasks.mjs');
  const backend = new NatsBackend({ servers });
  const parallel = new Parallel({ backend, nJobs: -1 }); // -1: the live cluster's capacity
  // a generator for the million-task call: the input itself must not be what fills the driver
  function* lazily(count) {
    for (let i = 0; i < count; i++) yield delayed(tasks.square)(i);
  }
  const call = (count, arg) =>
    generator
      ? lazily(count)
      : task === 'square'
        ? Array.from({ length: count }, (_, i) => delayed(tasks.square)(i))
        : Array.from({ length: count }, (_, i) => delayed(tasks.burn)(arg, i));
  try {
    await parallel.run(call(4, 1)); // workers connected, task module imported on each
    const { ms, value } = await timed(() => parallel.run(call(n, iters)));
    if (value.length !== n) throw new Error(`expected ${n} results, got ${value.length}`);
    const last = task === 'square' ? (n - 1) * (n - 1) : burn(iters, n - 1);
    if (value[n - 1] !== last) throw new Error(`wrong result for task ${n - 1}`);
    // the driver's own peak RSS (VmHWM): a call of a million tasks must not hold them all
    return { ms, tasksPerSecond: (n / ms) * 1000, driverHwm: memoryOf(process.pid)?.hwm };
  } finally {
    await parallel.close();
    await backend.terminate();
  }
});
