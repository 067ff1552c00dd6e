import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { square, whereAmI } from '@parajob/core/testing/tasks';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, describe, expect, it } from 'vitest';
import { exhaustMemory, leak } from './fixtures/tasks.mjs';

afterAll(shutdownWorkerThreadsPools);

const parallel = (options: ConstructorParameters<typeof WorkerThreadsBackend>[0]) =>
  new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(options), batchSize: 1 });

describe('worker-threads recycling', () => {
  it('maxTasksPerWorker: a thread is replaced after that many tasks, between batches; every result arrives', async () => {
    const where = await parallel({ maxTasksPerWorker: 2 }).run(
      Array.from({ length: 12 }, () => delayed(whereAmI)()),
    );
    expect(where).toHaveLength(12);
    const perThread = new Map<string, number>();
    for (const w of where) perThread.set(w, (perThread.get(w) ?? 0) + 1);
    // 12 tasks, 2 per thread at most: at least 6 threads served the call
    expect(perThread.size).toBeGreaterThanOrEqual(6);
    expect(Math.max(...perThread.values())).toBeLessThanOrEqual(2);
  });

  it('maxMemoryPerWorker: a leaking task never runs out of memory, its thread is replaced before', async () => {
    // 40 × 8 MB kept for good would exceed a 64 MB heap five times over without recycling
    const threads = await parallel({ maxMemoryPerWorker: 64 }).run(
      Array.from({ length: 40 }, () => delayed(leak)(8)),
    );
    expect(threads).toHaveLength(40);
    expect(new Set(threads).size).toBeGreaterThan(2);
  });

  it('maxMemoryPerWorker: one task over it → WorkerCrashedError OUT_OF_MEMORY; the pool recovers', async () => {
    const p = parallel({ maxMemoryPerWorker: 48 });
    const error = await p.run([delayed(exhaustMemory)()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'OUT_OF_MEMORY', taskIndex: 0 });
    expect(await parallel({ maxMemoryPerWorker: 48 }).run([delayed(square)(5), delayed(square)(6)])).toEqual([
      25, 36,
    ]);
  });
});
