import { delayed, Parallel } from '@parajob/core';
import { setInstrumentation, type WorkerReplacement } from '@parajob/core/backend';
import { sleep, spin, square } from '@parajob/core/testing/tasks';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitWith } from './fixtures/tasks.mjs';

// what an observer (@parajob/observe's worker restart metric) is told
let replaced: Array<[string, WorkerReplacement]> = [];
beforeEach(() => {
  replaced = [];
  setInstrumentation({
    startCall: () => undefined,
    workerReplaced: (backend, reason) => replaced.push([backend, reason]),
  });
});
afterEach(() => setInstrumentation(undefined));
afterAll(shutdownWorkerThreadsPools);

const parallel = (options: { timeout?: number } = {}) =>
  new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 1, ...options });

describe('worker-threads tells the instrumentation when a thread is replaced', () => {
  it('a crash', async () => {
    await expect(parallel().run([delayed(exitWith)(3)])).rejects.toThrow(/EXIT\(3\)/);
    expect(replaced).toEqual([['worker-threads', 'crash']]);
  });

  it("a task's timeout, and a running batch stopped by the call's failure", async () => {
    await expect(
      parallel({ timeout: 300 }).run([delayed(spin)(20_000), delayed(sleep)(20_000, 0)]),
    ).rejects.toThrow(/longer than the timeout/);
    expect(replaced).toContainEqual(['worker-threads', 'timeout']);
    // the other batch, when its thread had started it (a loaded machine may not have yet)
    expect(replaced.filter(([, reason]) => reason === 'abort').length).toBeLessThanOrEqual(1);
  });

  it('a recycle: a thread that reached maxTasksPerWorker is replaced between batches', async () => {
    const backend = new WorkerThreadsBackend({ maxTasksPerWorker: 2 });
    const tasks = [1, 2, 3, 4, 5, 6].map((x) => delayed(square)(x));
    expect(await new Parallel({ nJobs: 2, backend, batchSize: 1 }).run(tasks)).toEqual([1, 4, 9, 16, 25, 36]);
    expect(replaced.length).toBeGreaterThan(0);
    expect(replaced.every(([b, reason]) => b === 'worker-threads' && reason === 'recycle')).toBe(true);
  });

  it('no replacement for calls that succeed', async () => {
    expect(await parallel().run([delayed(square)(2), delayed(square)(3)])).toEqual([4, 9]);
    expect(replaced).toEqual([]);
  });
});
