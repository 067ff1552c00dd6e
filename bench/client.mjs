#!/usr/bin/env node
/**
 * The Ray-like client's benchmark (issue 13's figures), in one process so ratios compare numbers
 * taken under the same conditions: `node bench/client.mjs [--quick] [--nats]`.
 *
 * - local engine: remote() of n trivial tasks, then get() of all, from one client (tasks/s);
 * - await get(remote(f)) one at a time, p50/p99, against piscina.run() on the same trivial task,
 *   measured in alternating blocks;
 * - wait() over 10 000 outstanding refs of which one is ready (µs per call);
 * - a chain of 1 000 dependent tasks and a tree of 10 000 nested tasks on 2 workers;
 * - with --nats (needs nats-server and the built CLI): the same throughput and latency on the
 *   NATS engine, one server and two local workers.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '@parajob/client';
import { Piscina } from 'piscina';
import { add, sleepMs, treeCount } from './client-tasks.mjs';
import { startCluster } from './lib/cluster.mjs';
import { findNatsServer } from './lib/machine.mjs';
import { square } from './tasks.mjs';

const { values: opts } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, nats: { type: 'boolean', default: false } },
});
const N = opts.quick ? 20_000 : 100_000;
const CALLS = opts.quick ? 500 : 2_000;
const log = (msg) => process.stdout.write(`${msg}\n`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;

async function throughput(client, n) {
  await client.get(Array.from({ length: 10 }, (_, i) => client.remote(square).remote(i))); // warm
  const start = performance.now();
  const refs = new Array(n);
  for (let i = 0; i < n; i++) refs[i] = client.remote(square).remote(i);
  const values = await client.get(refs);
  const ms = performance.now() - start;
  if (values[n - 1] !== (n - 1) * (n - 1)) throw new Error('wrong result');
  return { ms, perSecond: (n / ms) * 1000 };
}

/** Latency of one call at a time: `call(i)` for `calls` calls, in blocks alternating with `other`. */
async function latencies(subjects, calls, block = 100) {
  const samples = subjects.map(() => []);
  for (const s of subjects) for (let i = 0; i < 50; i++) await s.call(i); // warm
  for (let done = 0; done < calls; done += block) {
    for (const [k, s] of subjects.entries()) {
      for (let i = 0; i < block; i++) {
        const t = performance.now();
        await s.call(i);
        samples[k].push(performance.now() - t);
      }
    }
  }
  return samples.map((v) => {
    v.sort((a, b) => a - b);
    return { p50: percentile(v, 50), p99: percentile(v, 99) };
  });
}

async function waitCost(client) {
  const gate = client.remote(sleepMs).remote(60_000);
  const refs = Array.from({ length: 9_999 }, () => client.remote(add).remote(gate, 1));
  refs.push(client.put(1));
  await client.wait(refs, { numReturns: 1 }); // warm
  const calls = 1_000;
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const { ready } = await client.wait(refs, { numReturns: 1 });
    if (ready.length !== 1) throw new Error('wait returned the wrong refs');
  }
  const perCall = (performance.now() - start) / calls;
  client.cancel(gate);
  await Promise.allSettled(refs.map((r) => client.get(r)));
  return perCall;
}

async function chain(client, length) {
  const start = performance.now();
  let ref = client.put(0);
  for (let i = 0; i < length; i++) ref = client.remote(add).remote(ref, 1);
  if ((await client.get(ref)) !== length) throw new Error('wrong chain result');
  return performance.now() - start;
}

async function tree(client, leaves) {
  const start = performance.now();
  if ((await client.get(client.remote(treeCount).remote(leaves))) !== leaves)
    throw new Error('wrong tree result');
  return performance.now() - start;
}

log(`# client benchmark (${opts.quick ? 'quick' : 'full'}), Node ${process.versions.node}\n`);
const client = await connect({ numCpus: 2 });
const t = await throughput(client, N);
log(
  `local engine: ${N} x remote(square) then get(all): ${t.ms.toFixed(0)} ms, ${t.perSecond.toFixed(0)} tasks/s`,
);

const pool = new Piscina({
  filename: fileURLToPath(new URL('./peers/square.mjs', import.meta.url)),
  minThreads: 2,
  maxThreads: 2,
});
const [local, pisc] = await latencies(
  [{ call: (i) => client.get(client.remote(square).remote(i)) }, { call: (i) => pool.run(i) }],
  CALLS,
);
log(
  `await get(remote(square)) one at a time (${CALLS} calls): p50 ${us(local.p50)}, p99 ${us(local.p99)}; ` +
    `piscina.run(): p50 ${us(pisc.p50)}, p99 ${us(pisc.p99)}; p50 ratio ${(local.p50 / pisc.p50).toFixed(2)}x`,
);
await pool.destroy();

log(`wait(10 000 refs, one ready): ${us(await waitCost(client))} per call`);
log(`chain of 1 000 dependent tasks, 2 workers: ${(await chain(client, 1_000)).toFixed(0)} ms`);
log(`tree of 10 000 nested tasks, 2 workers: ${(await tree(client, 10_000)).toFixed(0)} ms`);
await client.close();

if (opts.nats) {
  const natsServer = findNatsServer();
  if (natsServer === undefined) log('NATS engine skipped: nats-server not found');
  else {
    const cluster = await startCluster(natsServer.bin, { workers: 2 });
    try {
      const remote = await connect({ servers: cluster.servers });
      // today's NATS cluster runs each remote() as a call of its own: sizes stay small, and a
      // lost result is reported instead of hanging the benchmark
      const n = opts.quick ? 50 : 200;
      const nt = await Promise.race([
        throughput(remote, n),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`${n} tasks did not finish in 60 s`)), 60_000).unref(),
        ),
      ]).catch((error) => ({ ms: Number.NaN, perSecond: Number.NaN, error }));
      if (nt.error) log(`NATS engine: ${nt.error.message}`);
      log(
        `NATS engine: ${n} x remote(square) then get(all): ${nt.ms.toFixed(0)} ms, ${nt.perSecond.toFixed(0)} tasks/s`,
      );
      const [nl] = await latencies(
        [{ call: (i) => remote.get(remote.remote(square).remote(i)) }],
        opts.quick ? 200 : 1_000,
      );
      log(`NATS engine, await get(remote(square)) one at a time: p50 ${us(nl.p50)}, p99 ${us(nl.p99)}`);
      await remote.close();
    } finally {
      await cluster.stop();
    }
  }
}
