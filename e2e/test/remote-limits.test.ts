/**
 * Recycling limits reach a remote worker's thread pool: real `parajob worker grpc` and `parajob
 * worker nats` processes started with --max-tasks-per-worker replace their threads (more distinct
 * thread ids than one thread would show), and with --max-memory-per-worker a leaking task never
 * takes the worker process down: every call settles, typed, and the worker keeps serving.
 */
import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { GrpcBackend } from '@parajob/grpc';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { leak, square, squareOnThread } from '../fixtures/grpc/tasks.mjs';
import { startGrpcCliWorker, stopGrpcCliWorkers } from '../fixtures/grpc/workers.js';
import { incrementOnThread } from '../fixtures/nats/limits-tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';

describe('remote worker limits over gRPC', () => {
  afterEach(stopGrpcCliWorkers);

  it('--max-tasks-per-worker 2: six one-task calls run on at least three threads, all correct', async () => {
    const worker = await startGrpcCliWorker(['--max-tasks-per-worker', '2']);
    await using parallel = new Parallel({
      nJobs: 1,
      backend: new GrpcBackend({ workers: [worker.address] }),
    });
    const threads = new Set<number>();
    for (let x = 0; x < 6; x++) {
      const [result] = await parallel.run([delayed(squareOnThread)(x)]);
      expect(result!.value).toBe(x * x);
      threads.add(result!.threadId);
    }
    expect(threads.size).toBeGreaterThanOrEqual(3);
    expect(worker.child.exitCode).toBeNull();
  });

  it('--max-memory-per-worker: a leaking task never crashes the worker; every call settles typed', async () => {
    const worker = await startGrpcCliWorker(['--max-memory-per-worker', '64']);
    await using parallel = new Parallel({
      nJobs: 1,
      backend: new GrpcBackend({ workers: [worker.address] }),
    });
    const threads = new Set<number>();
    let completed = 0;
    // 16 calls keeping 8 MB each: 128 MB on one thread's heap without recycling, twice the limit
    for (let x = 0; x < 16; x++) {
      const outcome: { value: number; threadId: number } | Error = await parallel
        .run([delayed(leak)(x, 8)])
        .then(
          ([r]) => r!,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(WorkerCrashedError);
        expect(outcome).toMatchObject({ reason: 'OUT_OF_MEMORY' });
        continue;
      }
      expect(outcome.value).toBe(x);
      threads.add(outcome.threadId);
      completed++;
    }
    expect(completed).toBeGreaterThan(0);
    expect(threads.size).toBeGreaterThanOrEqual(2);
    expect(worker.child.exitCode).toBeNull();
    expect(await parallel.run([delayed(square)(7)])).toEqual([49]);
  });
});

describe.runIf(natsServerAvailable())('remote worker limits over NATS', () => {
  const env = natsTestEnvironment();

  it('--max-tasks-per-worker 2: six one-task calls run on at least three threads, all correct', async () => {
    const ns = 'limits';
    const worker = await env.worker(ns, ['--concurrency', '1', '--max-tasks-per-worker', '2']);
    await using parallel = new Parallel({
      nJobs: 1,
      backend: new NatsBackend({ servers: env.server.url, namespace: ns }),
    });
    const threads = new Set<number>();
    for (let x = 0; x < 6; x++) {
      const [result] = await parallel.run([delayed(incrementOnThread)(x)]);
      expect(result!.value).toBe(x + 1);
      threads.add(result!.threadId);
    }
    expect(threads.size).toBeGreaterThanOrEqual(3);
    expect(worker.child.exitCode).toBeNull();
  });
});
