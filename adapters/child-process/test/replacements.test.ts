import { delayed } from '@parajob/core';
import { setInstrumentation, type WorkerReplacement } from '@parajob/core/backend';
import { sleep, spin } from '@parajob/core/testing/tasks';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shutdownPools } from '../src/index.js';
import { exitWith, pid } from './fixtures/tasks.mjs';
import { parallel } from './helpers.js';

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
afterAll(shutdownPools);

describe('child-process tells the instrumentation when a process is replaced', () => {
  it('a crash', async () => {
    await expect(parallel({ batchSize: 1 }).run([delayed(exitWith)(3)])).rejects.toThrow(/EXIT\(3\)/);
    expect(replaced).toEqual([['child-process', 'crash']]);
  });

  it("a task's timeout, and a running batch stopped by the call's failure", async () => {
    await expect(
      parallel({ batchSize: 1, timeout: 500 }).run([delayed(spin)(20_000), delayed(sleep)(20_000, 0)]),
    ).rejects.toThrow(/longer than the timeout/);
    expect(replaced).toContainEqual(['child-process', 'timeout']);
    // the other batch, when its thread had started it (a loaded machine may not have yet)
    expect(replaced.filter(([, reason]) => reason === 'abort').length).toBeLessThanOrEqual(1);
  });

  it('a recycle: a process that reached maxTasksPerWorker is replaced between batches', async () => {
    const tasks = [0, 1, 2, 3, 4, 5].map(() => delayed(pid)());
    const pids = await parallel({ batchSize: 1 }, { maxTasksPerWorker: 2 }).run(tasks);
    expect(new Set(pids).size).toBeGreaterThanOrEqual(3); // 6 tasks, 2 per process
    expect(replaced.length).toBeGreaterThan(0);
    expect(replaced.every(([b, reason]) => b === 'child-process' && reason === 'recycle')).toBe(true);
  });

  it('no replacement for calls that succeed', async () => {
    await parallel({ batchSize: 1 }).run([delayed(pid)(), delayed(pid)()]);
    expect(replaced).toEqual([]);
  });
});
