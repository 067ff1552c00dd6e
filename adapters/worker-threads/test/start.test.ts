import { delayed, Parallel } from '@parajob/core';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storesWhenLoaded } from './fixtures/start-tasks.mjs';

beforeAll(shutdownWorkerThreadsPools);
afterAll(shutdownWorkerThreadsPools);

describe('worker start', () => {
  it("a fresh worker imports the task module before entering the call's async context", async () => {
    const parallel = new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend() });
    try {
      expect(await parallel.run([delayed(storesWhenLoaded)()])).toEqual([0]);
    } finally {
      await parallel.close();
    }
  });
});
