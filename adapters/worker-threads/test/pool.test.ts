import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { delayed, Parallel } from '@parajob/core';
import { square, whereAmI } from '@parajob/core/testing/tasks';
import {
  shutdownWorkerThreadsPools,
  WorkerThreadsBackend,
  workerThreadsPoolCount,
} from '@parajob/worker-threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

beforeAll(shutdownWorkerThreadsPools);
afterAll(shutdownWorkerThreadsPools);

describe('worker-threads shared pools', () => {
  it('shares one pool per configuration across instances; terminate() leaves it for others', async () => {
    const a = new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend() });
    const b = new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend() });
    expect(await a.run([delayed(square)(2)])).toEqual([4]);
    expect(await b.run([delayed(square)(3)])).toEqual([9]);
    expect(workerThreadsPoolCount()).toBe(1);
    await a.close();
    expect(await b.run([delayed(square)(4)])).toEqual([16]);
    await new Parallel({ nJobs: 1, backend: new WorkerThreadsBackend() }).run([delayed(square)(1)]);
    await new Parallel({
      nJobs: 2,
      backend: new WorkerThreadsBackend({ resourceLimits: { maxOldGenerationSizeMb: 128 } }),
    }).run([delayed(square)(1)]);
    // nJobs 1 runs in the caller (no pool); other limits are another pool
    expect(workerThreadsPoolCount()).toBe(2);
  });

  it('runs tasks on worker threads, not in the caller', async () => {
    const where = await new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 1 }).run(
      Array.from({ length: 4 }, () => delayed(whereAmI)()),
    );
    expect(where.every((w) => w.startsWith(`${process.pid}:`) && w !== `${process.pid}:0`)).toBe(true);
  });

  it('never keeps the process alive: a program that does not close its Parallel exits by itself', () => {
    const script = fileURLToPath(new URL('./fixtures/no-close.mjs', import.meta.url));
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('[1,4,9,16]');
  });
});
