/**
 * Workload 2, scaling: n tasks of ~10 ms of CPU each (burn(iters)), nJobs = cores, against a
 * plain sequential loop measured the same way.
 * Spec: { kind: 'loop' | 'parajob' | 'peer' | 'p-map', backend?, lib?, n, iters, nJobs }
 */
import { openPeer, WINDOW_PER_WORKER, windowed } from '../lib/peers.mjs';
import { main, timed } from '../lib/subject.mjs';
import { burn } from '../work.mjs';

function check(results, n, iters) {
  if (results.length !== n) throw new Error(`expected ${n} results, got ${results.length}`);
  for (const i of [0, n - 1])
    if (results[i] !== burn(iters, i)) throw new Error(`wrong result for task ${i}`);
}

await main(async ({ kind, backend, lib, n, iters, nJobs }) => {
  if (kind === 'loop') {
    const { ms, value } = await timed(() => {
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = burn(iters, i);
      return out;
    });
    check(value, n, iters);
    return { ms };
  }
  if (kind === 'parajob') {
    const { Parallel, delayed } = await import('parajob');
    const tasks = await import('../tasks.mjs');
    const parallel = new Parallel({ nJobs, backend });
    await parallel.run(Array.from({ length: 2 * nJobs }, (_, i) => delayed(tasks.burn)(1, i))); // warm the pool
    const { ms, value } = await timed(() =>
      parallel.run(Array.from({ length: n }, (_, i) => delayed(tasks.burn)(iters, i))),
    );
    check(value, n, iters);
    await parallel.close();
    return { ms };
  }
  if (kind === 'peer') {
    const pool = await openPeer(lib, 'burn', nJobs);
    await windowed(2 * nJobs, 2 * nJobs, (i) => pool.run({ iters: 1, seed: i })); // warm the pool
    const { ms, value } = await timed(() =>
      windowed(n, WINDOW_PER_WORKER * nJobs, (i) => pool.run({ iters, seed: i })),
    );
    check(value, n, iters);
    await pool.close();
    return { ms };
  }
  if (kind === 'p-map') {
    const { default: pMap } = await import('p-map');
    const inputs = Array.from({ length: n }, (_, i) => i);
    const { ms, value } = await timed(() =>
      pMap(inputs, async (i) => burn(iters, i), { concurrency: nJobs }),
    );
    check(value, n, iters);
    return { ms };
  }
  throw new Error(`unknown kind ${kind}`);
});
