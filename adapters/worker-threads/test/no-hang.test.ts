import { delayed, Parallel, TaskTimeoutError, WorkerCrashedError } from '@parajob/core';
import { sleep, spin, square } from '@parajob/core/testing/tasks';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { exitLater } from './fixtures/tasks.mjs';

// Every call here shares one pool of two threads; a batch of call B waits in the pool's queue
// while call A's stops (timeouts, aborts, crashes) remove every thread at once.
const parallel = (extra: { timeout?: number; signal?: AbortSignal } = {}) =>
  new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 1, ...extra });

/** Hang guard: the call must settle well before this (no timing assertion, only "it settles"). */
function settles<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the call hung: it did not settle within 15 s')), 15_000);
  });
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    guard,
  ]).finally(() => clearTimeout(timer));
}

/** Resolves once both threads of the pool run one of call A's tasks (B's batches then queue in the pool). */
const busy = () => new Promise((resolve) => setTimeout(resolve, 1_000));
/** Resolves once call B's batches reached the pool's queue (configure and dispatch are asynchronous). */
const queued = () => new Promise((resolve) => setTimeout(resolve, 200));

beforeEach(shutdownWorkerThreadsPools);
afterAll(shutdownWorkerThreadsPools);

describe('worker-threads: a batch queued in the shared pool always gets a thread', () => {
  it('after timeouts stop every thread at once', async () => {
    const a = settles(parallel({ timeout: 1_500 }).run([delayed(spin)(5_000), delayed(spin)(5_000)]));
    await busy();
    const b = settles(parallel().run([1, 2, 3, 4].map((x) => delayed(square)(x))));
    expect((await a).error).toBeInstanceOf(TaskTimeoutError);
    expect(await b).toEqual({ value: [1, 4, 9, 16] });
  });

  it('after an abort stops every thread at once', async () => {
    const controller = new AbortController();
    const a = settles(
      parallel({ signal: controller.signal }).run([delayed(spin)(5_000), delayed(spin)(5_000)]),
    );
    await busy();
    const b = settles(parallel().run([1, 2, 3].map((x) => delayed(square)(x))));
    await queued();
    controller.abort();
    expect((await a).error).toBeDefined();
    expect(await b).toEqual({ value: [1, 4, 9] });
  });

  it('after an iterator left early stops every thread at once', async () => {
    const iterator = parallel()
      .iter([delayed(square)(2), delayed(spin)(5_000), delayed(spin)(5_000)])
      [Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 4 });
    await busy();
    const b = settles(parallel().run([5, 6].map((x) => delayed(square)(x))));
    await queued();
    await iterator.return?.();
    expect(await b).toEqual({ value: [25, 36] });
  });

  it('after workers crash at once', async () => {
    const a = settles(parallel().run([delayed(exitLater)(1_000, 7), delayed(exitLater)(1_000, 7)]));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const b = settles(parallel().run([delayed(sleep)(200, 1), delayed(square)(3), delayed(square)(4)]));
    expect((await a).error).toBeInstanceOf(WorkerCrashedError);
    expect(await b).toEqual({ value: [1, 9, 16] });
  });
});
