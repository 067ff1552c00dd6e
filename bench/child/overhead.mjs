/**
 * Workload 1, overhead: n trivial tasks (x * x) on a warm pool of nJobs workers.
 * Spec: { kind: 'parajob', backend, n, nJobs, shape? } | …
 * `shape`: 'generator' (default) yields the calls one by one; 'array' is the README's idiom,
 * `items.map((x) => delayed(f)(x))`, built inside the timed section.
 * Other specs: { kind: 'parajob', backend, n, nJobs } | { kind: 'peer', lib, mode, n, nJobs } | { kind: 'p-map', n, nJobs }
 */
import { allAtOnce, openPeer, WINDOW_PER_WORKER, windowed } from '../lib/peers.mjs';
import { main, timed } from '../lib/subject.mjs';
import { square } from '../work.mjs';

function check(results, n) {
  if (results.length !== n) throw new Error(`expected ${n} results, got ${results.length}`);
  for (const i of [0, 1, n >> 1, n - 1]) {
    if (results[i] !== i * i) throw new Error(`result ${i} is ${results[i]}, expected ${i * i}`);
  }
}

await main(async ({ kind, backend, lib, mode, n, nJobs, shape = 'generator' }) => {
  if (kind === 'parajob') {
    const { Parallel, delayed } = await import('parajob');
    const tasks = await import('../tasks.mjs');
    const parallel = new Parallel({ nJobs, backend });
    await parallel.run(Array.from({ length: 2 * nJobs }, (_, i) => delayed(tasks.square)(i))); // warm the pool
    function* calls() {
      for (let i = 0; i < n; i++) yield delayed(tasks.square)(i);
    }
    const items = Array.from({ length: n }, (_, i) => i);
    const { ms, mainCpuMs, value } = await timed(() =>
      parallel.run(shape === 'array' ? items.map((x) => delayed(tasks.square)(x)) : calls()),
    );
    check(value, n);
    await parallel.close();
    return { ms, mainCpuMs };
  }
  if (kind === 'peer') {
    const pool = await openPeer(lib, 'square', nJobs);
    await allAtOnce(2 * nJobs, (i) => pool.run(i)); // warm the pool
    const submit = (i) => pool.run(i);
    const { ms, value } = await timed(() =>
      mode === 'all' ? allAtOnce(n, submit) : windowed(n, WINDOW_PER_WORKER * nJobs, submit),
    );
    check(value, n);
    await pool.close();
    return { ms };
  }
  if (kind === 'p-map') {
    const { default: pMap } = await import('p-map');
    const inputs = Array.from({ length: n }, (_, i) => i);
    const { ms, value } = await timed(() => pMap(inputs, async (x) => square(x), { concurrency: nJobs }));
    check(value, n);
    return { ms };
  }
  throw new Error(`unknown kind ${kind}`);
});
