import { delayed, Parallel } from '@parajob/core';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedWithPromiseHooks } from './fixtures/start-tasks.mjs';

beforeAll(shutdownWorkerThreadsPools);
afterAll(shutdownWorkerThreadsPools);

describe('worker start', () => {
  it("a fresh worker imports the task module before entering the call's async context", async () => {
    const parallel = new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend() });
    try {
      expect(await parallel.run([delayed(loadedWithPromiseHooks)()])).toEqual([false]);
    } finally {
      await parallel.close();
    }
  });
});
