/**
 * @parajob/grpc end to end: real `parajob worker grpc` processes on free loopback ports, a
 * driver in this process. Results and order, task errors, a worker SIGKILLed mid-call (with and
 * without retries), an unreachable address, graceful SIGTERM, and mTLS accepted and refused.
 */

import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { setInstrumentation } from '@parajob/core/backend';
import { GrpcBackend } from '@parajob/grpc';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { failAt, markedSquare, overQuota, QuotaError, square } from '../fixtures/grpc/tasks.mjs';
import {
  makeCerts,
  startGrpcCliWorker,
  stopGrpcCliWorkers,
  type TestCerts,
  tempDir,
  whenTaskStartsOn,
} from '../fixtures/grpc/workers.js';

const dirs: string[] = [];
const markers = () => {
  const dir = tempDir('markers');
  dirs.push(dir);
  return dir;
};

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('grpc end to end', () => {
  afterEach(stopGrpcCliWorkers);
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('returns results in input order and task errors with their class and index', async () => {
    const workers = await Promise.all([startGrpcCliWorker(), startGrpcCliWorker()]);
    const backend = new GrpcBackend({ workers: workers.map((w) => w.address) });
    await using parallel = new Parallel({ nJobs: -1, backend });
    const inputs = Array.from({ length: 60 }, (_, i) => i);
    expect(await parallel.run(inputs.map((x) => delayed(square)(x)))).toEqual(inputs.map((x) => x * x));
    expect(backend.effectiveNJobs(-1)).toBe(2);
    const error = await parallel.run(inputs.map((x) => delayed(failAt)(x, 23))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: 'no 23', code: 'E_AT', taskIndex: 23 });
  });

  it('iter yields every result before a failing task (the worker sends back what completed)', async () => {
    const worker = await startGrpcCliWorker();
    const backend = new GrpcBackend({ workers: [worker.address] });
    await using parallel = new Parallel({ nJobs: -1, backend, batchSize: 10 });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const v of parallel.iter(Array.from({ length: 40 }, (_, x) => delayed(failAt)(x, 23))))
        seen.push(v);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, x) => x));
    expect(error).toMatchObject({ message: 'no 23', taskIndex: 23 });
  });

  it("a task's error arrives as an instance of the class its module exports", async () => {
    const worker = await startGrpcCliWorker();
    const backend = new GrpcBackend({ workers: [worker.address] });
    await using parallel = new Parallel({ nJobs: -1, backend });
    const error = await parallel.run([1, 2, 3].map((x) => delayed(overQuota)(x))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaError);
    expect(error).toMatchObject({ name: 'QuotaError', message: 'over quota at 3', limit: 2, taskIndex: 2 });
  });

  it('fails the call with WorkerCrashedError naming the worker SIGKILLed mid-call', async () => {
    const [a, b] = await Promise.all([startGrpcCliWorker(), startGrpcCliWorker()]);
    const dir = markers();
    void whenTaskStartsOn(dir, b!.child.pid!).then(() => b!.child.kill('SIGKILL'));
    const parallel = new Parallel({
      nJobs: -1,
      batchSize: 1,
      backend: new GrpcBackend({ workers: [a!.address, b!.address] }),
    });
    const error = await parallel
      .run(Array.from({ length: 6 }, (_, i) => delayed(markedSquare)(i, 1500, dir)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain(b!.address);
    expect(error).toMatchObject({ exitReason: 'CONNECTION_LOST' });
    expect(typeof (error as WorkerCrashedError).taskIndex).toBe('number');
  });

  it("with retries, runs a killed worker's batches on the other worker and completes", async () => {
    const [a, b] = await Promise.all([startGrpcCliWorker(), startGrpcCliWorker()]);
    const dir = markers();
    void whenTaskStartsOn(dir, b!.child.pid!).then(() => b!.child.kill('SIGKILL'));
    const parallel = new Parallel({
      nJobs: -1,
      batchSize: 1,
      backend: new GrpcBackend({ workers: [a!.address, b!.address], retries: 1 }),
    });
    // what an observer's batch retry metric is told
    const retried: string[] = [];
    setInstrumentation({
      startCall: () => undefined,
      batchRetried: (backend, why) => retried.push(`${backend} ${why}`),
    });
    const results = await parallel
      .run(Array.from({ length: 6 }, (_, i) => delayed(markedSquare)(i, 300, dir)))
      .finally(() => setInstrumentation(undefined));
    expect(results).toEqual([0, 1, 4, 9, 16, 25]);
    expect(await b!.exited).toBeNull();
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(new Set(retried)).toEqual(new Set(['grpc lost-worker']));
  });

  it('reports an unreachable worker by address and runs on the others; none reachable is a clear error', async () => {
    const live = await startGrpcCliWorker();
    const dead = `127.0.0.1:${await closedPort()}`;
    // captured, not printed: a deliberate scenario leaves no noise in the test output
    const warnings: string[] = [];
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => {
      warnings.push(typeof w === 'string' ? w : w.message);
    });
    try {
      const parallel = new Parallel({
        nJobs: -1,
        backend: new GrpcBackend({ workers: [dead, live.address] }),
        verbose: 0,
      });
      expect(await parallel.run([1, 2, 3].map((x) => delayed(square)(x)))).toEqual([1, 4, 9]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.some((w) => w.includes(dead) && w.includes('unreachable'))).toBe(true);
    } finally {
      emitWarning.mockRestore();
    }
    const none = new Parallel({ nJobs: -1, backend: new GrpcBackend({ workers: [dead] }) });
    await expect(none.run([delayed(square)(2)])).rejects.toThrow(
      new RegExp(`no gRPC worker is reachable:[\\s\\S]*${dead}`),
    );
  });

  it('SIGTERM lets the worker finish its in-flight batch, answer it, and exit 0', async () => {
    const worker = await startGrpcCliWorker();
    const dir = markers();
    void whenTaskStartsOn(dir, worker.child.pid!).then(() => worker.child.kill('SIGTERM'));
    const parallel = new Parallel({ nJobs: -1, backend: new GrpcBackend({ workers: [worker.address] }) });
    expect(await parallel.run([delayed(markedSquare)(7, 800, dir)])).toEqual([49]);
    expect(await worker.exited).toBe(0);
  });

  describe('mTLS', () => {
    let certs: TestCerts;
    const mtlsWorker = () => {
      certs ??= makeCerts();
      dirs.push(certs.dir);
      return startGrpcCliWorker([
        '--tls-cert',
        certs.serverCert,
        '--tls-key',
        certs.serverKey,
        '--tls-ca',
        certs.ca,
        '--tls-require-client-cert',
      ]);
    };

    it('accepts a driver with a client certificate signed by the CA', async () => {
      const worker = await mtlsWorker();
      const backend = new GrpcBackend({
        workers: [worker.address],
        tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, serverName: 'localhost' },
      });
      expect(await new Parallel({ nJobs: -1, backend }).run([4, 5].map((x) => delayed(square)(x)))).toEqual([
        16, 25,
      ]);
    });

    it('refuses a driver without a client certificate, and a plaintext driver', async () => {
      const worker = await mtlsWorker();
      const noCert = new GrpcBackend({
        workers: [worker.address],
        tls: { ca: certs.ca, serverName: 'localhost' },
      });
      const error = (await new Parallel({ nJobs: -1, backend: noCert })
        .run([delayed(square)(2)])
        .catch((e: unknown) => e)) as Error;
      expect(error.message).toContain('no gRPC worker is reachable');
      expect(error.message).toContain(worker.address);
      expect(error.message).toMatch(/certificate required/);
      const plain = new GrpcBackend({ workers: [worker.address], connectTimeoutMs: 3000 });
      await expect(new Parallel({ nJobs: -1, backend: plain }).run([delayed(square)(2)])).rejects.toThrow(
        worker.address,
      );
    });
  });
});
