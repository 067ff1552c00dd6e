/**
 * NATS end to end, beyond faults: live capacity and parallelConfig, large values through the
 * object store, the worker's module allow-list and --allow-source, token auth, graceful SIGTERM,
 * and the Ray-like client.
 */
import { Objm } from '@nats-io/obj';
import { connect as natsConnect } from '@nats-io/transport-node';
import { CallCancelledError, delayed, effectiveNJobs, Parallel, parallelConfig } from '@parajob/core';
import { square } from '@parajob/core/testing/tasks';
import { connect, NatsBackend, register } from '@parajob/nats';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeBuffer, markedSquare, overQuota, QuotaError, sumBuffer } from '../fixtures/nats/tasks.mjs';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

describe.runIf(natsServerAvailable())('nats cluster', () => {
  let server: NatsServer;
  let workers: CliWorker[] = [];
  const worker = async (namespace: string, extra: string[] = [], url = server.url) => {
    const w = await startCliWorker(['--servers', url, '--namespace', namespace, ...extra]);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    server = await NatsServer.start();
    register();
  });
  afterEach(async () => {
    await Promise.all(workers.map(stopCliWorker));
    workers = [];
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('nJobs -1 is the live capacity, through parallelConfig({ backend: "nats", servers })', async () => {
    const ns = 'capacity';
    await worker(ns, ['--concurrency', '1']);
    await worker(ns, ['--concurrency', '2']);
    await parallelConfig({ backend: 'nats', servers: server.url, namespace: ns }, async () => {
      const parallel = new Parallel({ nJobs: -1, verbose: 0 });
      expect(await parallel.run([1, 2, 3].map((x) => delayed(markedSquare)(x, 1, null)))).toEqual([1, 4, 9]);
      expect(effectiveNJobs(-1)).toBeGreaterThanOrEqual(1);
      await parallel.close();
    });
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    expect(await backend.capacity()).toBe(3);
    expect(backend.effectiveNJobs(-1)).toBe(3);
    expect(backend.effectiveNJobs(-2)).toBe(2);
    expect(backend.effectiveNJobs(5)).toBe(5);
    await backend.terminate();
  });

  it('iter yields every result before a failing task (the worker sends back what completed)', async () => {
    const ns = 'before-failure';
    await worker(ns);
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    const parallel = new Parallel({ nJobs: 2, backend, batchSize: 10 });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const v of parallel.iter(
        Array.from({ length: 40 }, (_, x) => delayed(overQuota)(x < 23 ? 0 : x)),
      ))
        seen.push(v);
    })().catch((e: unknown) => e);
    await parallel.close();
    expect(seen).toEqual(Array(23).fill(0));
    expect(error).toMatchObject({ name: 'QuotaError', taskIndex: 23 });
  });

  it("a task's error arrives as an instance of the class its module exports", async () => {
    const ns = 'error-class';
    await worker(ns);
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    const parallel = new Parallel({ nJobs: 2, backend });
    const error = await parallel.run([1, 2, 3].map((x) => delayed(overQuota)(x))).catch((e: unknown) => e);
    await parallel.close();
    expect(error).toBeInstanceOf(QuotaError);
    expect(error).toMatchObject({ name: 'QuotaError', message: 'over quota at 3', limit: 2, taskIndex: 2 });
  });

  it('fails clearly when no worker is alive for nJobs -1', async () => {
    const backend = new NatsBackend({ servers: server.url, namespace: 'empty', workerWaitMs: 300 });
    await expect(new Parallel({ backend, nJobs: -1 }).run([delayed(square)(2)])).rejects.toThrow(
      /no parajob worker is alive .* parajob worker nats --servers/,
    );
    await backend.terminate();
  });

  it('SIGTERM finishes the running batch, deregisters and exits 0', async () => {
    const ns = 'sigterm';
    const w = await worker(ns, ['--concurrency', '1']);
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    const call = new Parallel({ backend, nJobs: 1 + 1, batchSize: 1 }).run([
      delayed(markedSquare)(7, 800, null),
    ]);
    await new Promise((r) => setTimeout(r, 400));
    w.child.kill('SIGTERM');
    expect(await call).toEqual([49]);
    expect((await w.exited).code).toBe(0);
    await expect(
      new NatsBackend({ servers: server.url, namespace: ns, workerWaitMs: 200 }).capacity(),
    ).rejects.toThrow(/no parajob worker/);
    await backend.terminate();
  });

  it('sends arguments and results over the max payload through the object store, and deletes them after the call', async () => {
    const ns = 'large';
    await worker(ns, ['--concurrency', '2']);
    const big = Float64Array.from({ length: 300_000 }, (_, i) => i % 7); // 2.4 MB > 1 MB max payload
    const expected = big.reduce((a, b) => a + b, 0);
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    const sums = await new Parallel({ backend, nJobs: 2, batchSize: 1 }).run(
      [0, 1, 2].map((o) => delayed(sumBuffer)(big, o)),
    );
    expect(sums).toEqual([expected, expected + 1, expected + 2]);
    const [made] = await new Parallel({ backend, nJobs: 2 }).run([delayed(makeBuffer)(200_000)]);
    expect(made).toBeInstanceOf(Float64Array);
    expect((made as Float64Array).length).toBe(200_000);
    expect((made as Float64Array)[199_999]).toBe(199_999);
    await backend.terminate();
    const nc = await natsConnect({ servers: server.url });
    const os = await new Objm(nc).open(`parajob_${ns}_blobs`);
    expect((await os.list()).map((e) => e.name)).toEqual([]);
    await nc.close();
  });

  it('runs only allowed modules, and source functions only with --allow-source', async () => {
    const ns = 'security';
    await worker(ns, ['--concurrency', '1']); // default allow: its own project (fixtures/nats)
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    const p = () => new Parallel({ backend, nJobs: 2 });
    expect(await p().run([delayed(markedSquare)(3, 1, null)])).toEqual([9]);
    await expect(p().run([delayed(square)(3)])).rejects.toThrow(
      /refuses the module '@parajob\/core\/testing\/tasks' \(rule: not allowed\)[\s\S]*--allow @parajob\/core/,
    );
    await expect(p().run([delayed((x: number) => x + 1)(1)])).rejects.toThrow(/--allow-source/);
    await Promise.all(workers.map(stopCliWorker));
    workers = [];
    await worker(ns, ['--concurrency', '1', '--allow', '.', '--allow', '@parajob/*', '--allow-source']);
    expect(await p().run([delayed(square)(3), delayed((x: number) => x + 1)(1)])).toEqual([9, 2]);
    await backend.terminate();
  });

  it('token auth: a driver without the token gets a clear authorization error', async () => {
    const secured = await NatsServer.start({ config: 'authorization { token: "s3cret" }' });
    try {
      const ns = 'auth';
      await worker(ns, ['--concurrency', '1', '--token', 's3cret'], secured.url);
      const anonymous = new NatsBackend({ servers: secured.url, namespace: ns });
      await expect(
        new Parallel({ backend: anonymous, nJobs: 2 }).run([delayed(markedSquare)(2, 1, null)]),
      ).rejects.toThrow(/authorization failed .*token/);
      const backend = new NatsBackend({ servers: secured.url, namespace: ns, token: 's3cret' });
      expect(await new Parallel({ backend, nJobs: 2 }).run([delayed(markedSquare)(2, 1, null)])).toEqual([4]);
      await backend.terminate();
      await anonymous.terminate();
    } finally {
      await Promise.all(workers.map(stopCliWorker));
      workers = [];
      await secured.dispose();
    }
  });

  it('the Ray-like client: remote, get, wait, put, cancel', async () => {
    const ns = 'client';
    await worker(ns, ['--concurrency', '2']);
    const cluster = await connect({ servers: server.url, namespace: ns });
    try {
      expect(await cluster.capacity()).toBe(2);
      const sq = cluster.remote(markedSquare);
      const refs = [1, 2, 3].map((x) => sq.remote(x, 1, null));
      expect(typeof refs[0]!.id).toBe('string');
      expect(await cluster.get(refs)).toEqual([1, 4, 9]);
      expect(await cluster.get(sq.remote(4, 1, null))).toBe(16);
      expect(await refs[1]).toBe(4); // an ObjectRef is a thenable

      const slow = sq.remote(5, 3_000, null);
      const fast = sq.remote(6, 1, null);
      const { ready, notReady } = await cluster.wait([slow, fast], { numReturns: 1, timeout: 2_500 });
      expect(ready).toEqual([fast]);
      expect(notReady).toEqual([slow]);
      await expect(cluster.get(slow, { timeout: 50 })).rejects.toThrow(/timed out/);
      cluster.cancel(slow);
      await expect(slow).rejects.toBeInstanceOf(CallCancelledError);

      const stored = cluster.put(Float64Array.from([1, 2, 3]));
      expect(await cluster.get(cluster.remote(sumBuffer).remote(stored, 10))).toBe(16);
      // a ref of another task's result as an argument
      expect(await cluster.get(sq.remote(sq.remote(2, 1, null), 1, null))).toBe(16);
      // a failing task's ref rejects with the task's own error (class kept), not a batch wrapper
      const failed = cluster.remote(overQuota).remote(7);
      await expect(cluster.get(failed)).rejects.toBeInstanceOf(QuotaError);
      await expect(failed).rejects.toMatchObject({ name: 'QuotaError', taskIndex: 0 });
    } finally {
      await cluster.close();
    }
  });
});
