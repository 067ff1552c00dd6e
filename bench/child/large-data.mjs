/**
 * Workload 4, large shared data: n tasks that each sum one slice of a single `mb` MB Float64Array.
 * Reports the wall time, this process's and its workers' memory high-water marks, and the bytes
 * this process wrote / its workers read through syscalls (copies over pipes or files show there).
 * Spec: { kind: 'loop' | 'parajob' | 'piscina-shared' | 'piscina-copy', backend?, shared?, mb, n, nJobs }
 * (`shared`: parajob's array is made with sharedArray())
 */
import { allAtOnce, openPeer, windowed } from '../lib/peers.mjs';
import { descendantsHighWater, ioOf, memoryOf } from '../lib/proctree.mjs';
import { main, timed } from '../lib/subject.mjs';
import { sliceSum } from '../work.mjs';

async function makeArray(mb, kind, shared) {
  const length = (mb * 1e6) / 8;
  let data;
  if (kind === 'parajob' && shared) {
    // parajob's way to hold large data for worker threads
    const { sharedArray } = await import('parajob');
    data = sharedArray(Float64Array, length);
  } else if (kind === 'piscina-shared') data = new Float64Array(new SharedArrayBuffer(length * 8));
  else data = new Float64Array(length);
  for (let i = 0; i < data.length; i++) data[i] = i % 1000; // touch every page: it is resident
  return data;
}

await main(async ({ kind, backend, shared = false, mb, n, nJobs }) => {
  const data = await makeArray(mb, kind, shared);
  const step = Math.ceil(data.length / n);
  const bounds = (i) => [i * step, Math.min((i + 1) * step, data.length)];
  const expected = sliceSum(data, 0, data.length);

  let run;
  let close = async () => {};
  if (kind === 'loop') {
    run = async () => Array.from({ length: n }, (_, i) => sliceSum(data, ...bounds(i)));
  } else if (kind === 'parajob') {
    const { Parallel, delayed } = await import('parajob');
    const tasks = await import('../tasks.mjs');
    const parallel = new Parallel({ nJobs, backend });
    await parallel.run(
      Array.from({ length: 2 * nJobs }, () => delayed(tasks.sliceSum)(new Float64Array(4), 0, 4)),
    );
    run = () =>
      parallel.run(Array.from({ length: n }, (_, i) => delayed(tasks.sliceSum)(data, ...bounds(i))));
    close = () => parallel.close();
  } else {
    // piscina-shared: the array lives in a SharedArrayBuffer the caller made (hand-written sharing);
    // piscina-copy: a plain array passed per task, structured-cloned into the worker every time.
    // kind is `${peer}-shared` or `${peer}-copy` (piscina, piscina-async, poolifier)
    const peer = kind.replace(/-(shared|copy)$/, '');
    const pool = await openPeer(peer, 'sliceSum', nJobs);
    const small = new Float64Array(4);
    await allAtOnce(2 * nJobs, () => pool.run({ data: small, start: 0, end: 4 }));
    const submit = (i) => {
      const [start, end] = bounds(i);
      return pool.run({ data, start, end });
    };
    run = () => windowed(n, kind.endsWith('-copy') ? 2 * nJobs : n, submit);
    close = () => pool.close();
  }

  const ioBefore = ioOf(process.pid);
  const { ms, value } = await timed(run);
  const ioAfter = ioOf(process.pid);
  const workers = descendantsHighWater(); // before close: the workers are still alive
  const self = memoryOf(process.pid);
  await close();

  const total = value.reduce((a, b) => a + b, 0);
  if (value.length !== n || Math.abs(total - expected) > 1e-6 * Math.abs(expected)) {
    throw new Error(`wrong sum ${total}, expected ${expected}`);
  }
  return {
    ms,
    arrayBytes: data.byteLength,
    selfHwm: self.hwm,
    workersHwm: workers.hwm,
    workerProcesses: workers.processes,
    parentWrote: ioAfter.wchar - ioBefore.wchar,
    workersRead: workers.rchar,
  };
});
