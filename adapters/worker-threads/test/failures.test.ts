import { delayed, Parallel, SerializationError, TaskTimeoutError, WorkerCrashedError } from '@parajob/core';
import { sleep, spin, square } from '@parajob/core/testing/tasks';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, describe, expect, it } from 'vitest';
import { exhaustMemory, exitWith, returnWithFunction, throwInTimer } from './fixtures/tasks.mjs';

// nJobs 2 everywhere: nJobs 1 runs tasks in the caller (joblib's fast path), not on worker threads
const parallel = (options: ConstructorParameters<typeof WorkerThreadsBackend>[0] = {}) =>
  new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(options), batchSize: 1 });

afterAll(shutdownWorkerThreadsPools);

describe('worker-threads crashes', () => {
  it('process.exit() in a task → WorkerCrashedError EXIT(n) naming the task; the next call works', async () => {
    const error = await parallel()
      .run([delayed(square)(1), delayed(exitWith)(3), delayed(sleep)(2_000, 0)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'EXIT(3)', taskIndex: 1 });
    expect((error as Error).message).toMatch(/worker-threads worker died \(EXIT\(3\)\) while running task 1/);
    expect(await parallel().run([delayed(square)(6), delayed(square)(7)])).toEqual([36, 49]);
  });

  it('an error thrown in a timer → WorkerCrashedError UNCAUGHT with the original error as cause', async () => {
    const error = (await parallel()
      .run([delayed(throwInTimer)('boom from timer')])
      .catch((e: unknown) => e)) as WorkerCrashedError;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'UNCAUGHT', taskIndex: 0 });
    expect((error.cause as Error).message).toBe('boom from timer');
    expect(await parallel().run([delayed(square)(3)])).toEqual([9]);
  });

  it('running out of memory under resourceLimits → WorkerCrashedError OUT_OF_MEMORY; the pool recovers', async () => {
    const limited = { resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } };
    const error = await parallel(limited)
      .run([delayed(exhaustMemory)()])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'OUT_OF_MEMORY', taskIndex: 0 });
    expect(await parallel(limited).run([delayed(square)(4)])).toEqual([16]);
  });
});

describe('worker-threads serialization', () => {
  it('a non-cloneable argument → SerializationError with its path, before any worker runs it', async () => {
    const error = await parallel()
      .run([delayed(square)(1), delayed(square)({ cb: () => 1 } as unknown as number)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ taskIndex: 1, path: 'args[0].cb', phase: 'arguments' });
    expect(await parallel().run([delayed(square)(5), delayed(square)(6)])).toEqual([25, 36]);
  });

  it('a non-cloneable result → SerializationError for that task; the worker survives', async () => {
    const error = await new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 3 })
      .run([0, 1, 2].map((x) => delayed(returnWithFunction)(x)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ taskIndex: 1, path: 'result.cb', phase: 'result' });
    const settled = await parallel().runSettled([0, 1, 2].map((x) => delayed(returnWithFunction)(x)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(settled[2]).toEqual({ status: 'fulfilled', value: { ok: 2 } });
  });
});

describe('worker-threads timeouts and aborts', () => {
  it('counts the timeout from each task start, not from when its batch was queued', async () => {
    // 16 tasks of 100 ms on two workers, all dispatched at once: the last ones wait ~700 ms before they start
    const timed = await new Parallel({
      nJobs: 2,
      backend: new WorkerThreadsBackend(),
      batchSize: 1,
      timeout: 600,
      preDispatch: 'all',
    }).run(Array.from({ length: 16 }, (_, i) => delayed(sleep)(100, i)));
    expect(timed).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('names the task that timed out inside a multi-task batch', async () => {
    const error = await new Parallel({
      nJobs: 2,
      backend: new WorkerThreadsBackend(),
      batchSize: 3,
      timeout: 300,
    })
      .run([delayed(square)(1), delayed(square)(2), delayed(spin)(20_000)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toMatchObject({ taskIndex: 2, timeoutMs: 300 });
  });

  it('aborting one call stops only that call; a concurrent call on the same pool completes', async () => {
    const controller = new AbortController();
    const reason = new Error('stop A');
    const a = new Parallel({
      nJobs: 2,
      backend: new WorkerThreadsBackend(),
      batchSize: 1,
      signal: controller.signal,
    }).run(Array.from({ length: 4 }, () => delayed(spin)(20_000)));
    const b = new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 1 }).run(
      Array.from({ length: 6 }, (_, i) => delayed(sleep)(50, i)),
    );
    setTimeout(() => controller.abort(reason), 100);
    await expect(a).rejects.toBe(reason);
    expect(await b).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
