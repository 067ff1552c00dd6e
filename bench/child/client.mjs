/**
 * Workloads 6 and 7, the Ray-like client (@parajob/client). One measurement per process:
 * spec { measure, n?, servers? } with measure one of
 *   'throughput'  n × remote(square), then get of all (ms for the n; tasksPerSecond)
 *   'latency'     await get(remote(square)) one at a time, n calls: p50 as ms (p99 too)
 *   'piscina'     await pool.run(x) one at a time on 2 threads, n calls: p50 as ms (p99 too)
 *   'wait'        wait() over 10 000 refs of which one is ready: ms per call
 *   'chain'       a chain of n dependent tasks (ms)
 *   'tree'        a tree of n nested tasks, each parent waiting in get (ms)
 * on the local engine with 2 CPUs, or on NATS when `servers` is given.
 */
import { fileURLToPath } from 'node:url';
import { add, sleepMs, treeCount } from '../client-tasks.mjs';
import { main, timed } from '../lib/subject.mjs';
import { square } from '../tasks.mjs';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function oneAtATime(n, call) {
  for (let i = 0; i < 50; i++) await call(i); // warm
  const samples = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    samples[i] = performance.now() - t;
  }
  samples.sort((a, b) => a - b);
  return { ms: percentile(samples, 50), p99: percentile(samples, 99) };
}

await main(async ({ measure, n, servers }) => {
  if (measure === 'piscina') {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({
      filename: fileURLToPath(new URL('../peers/square.mjs', import.meta.url)),
      minThreads: 2,
      maxThreads: 2,
    });
    const out = await oneAtATime(n, (i) => pool.run(i));
    await pool.destroy();
    return out;
  }
  const { connect } = await import('@parajob/client');
  const client = await connect(servers ? { servers } : { numCpus: 2 });
  try {
    await client.get(Array.from({ length: 10 }, (_, i) => client.remote(square).remote(i))); // warm
    if (measure === 'throughput') {
      const { ms, value } = await timed(() => {
        const refs = new Array(n);
        for (let i = 0; i < n; i++) refs[i] = client.remote(square).remote(i);
        return client.get(refs);
      });
      if (value[n - 1] !== (n - 1) * (n - 1)) throw new Error('wrong result');
      return { ms, tasksPerSecond: (n / ms) * 1000 };
    }
    if (measure === 'latency') return await oneAtATime(n, (i) => client.get(client.remote(square).remote(i)));
    if (measure === 'wait') {
      const gate = client.remote(sleepMs).remote(600_000);
      const refs = Array.from({ length: 9_999 }, () => client.remote(add).remote(gate, 1));
      refs.push(client.put(1));
      for (let i = 0; i < 100; i++) await client.wait(refs, { numReturns: 1 }); // warm
      const calls = 1_000;
      const { ms } = await timed(async () => {
        for (let i = 0; i < calls; i++) {
          const { ready } = await client.wait(refs, { numReturns: 1 });
          if (ready.length !== 1) throw new Error('wait returned the wrong refs');
        }
      });
      client.cancel(gate);
      return { ms: ms / calls };
    }
    if (measure === 'chain') {
      return await timed(async () => {
        let ref = client.put(0);
        for (let i = 0; i < n; i++) ref = client.remote(add).remote(ref, 1);
        if ((await client.get(ref)) !== n) throw new Error('wrong chain result');
      });
    }
    if (measure === 'tree') {
      return await timed(async () => {
        if ((await client.get(client.remote(treeCount).remote(n))) !== n)
          throw new Error('wrong tree result');
      });
    }
    throw new Error(`unknown measure ${measure}`);
  } finally {
    await client.close();
  }
});
