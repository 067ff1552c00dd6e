import { delayed, Parallel } from '@parajob/core';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, describe, expect, it } from 'vitest';
import { bumpCounter, describeBuffer } from './fixtures/tasks.mjs';

afterAll(shutdownWorkerThreadsPools);

const run = (maxNbytes: number | string | null, tasks: unknown[]) =>
  new Parallel({ nJobs: 2, backend: new WorkerThreadsBackend(), batchSize: 1, maxNbytes }).run(
    tasks as never[],
  );

describe('worker-threads large buffers (maxNbytes)', () => {
  it('sends a typed array over maxNbytes as shared memory', async () => {
    const big = new Float64Array(200_000).fill(1.5); // 1.6 MB > the default 1M
    const out = await run(
      '1M',
      Array.from({ length: 6 }, () => delayed(describeBuffer)(big)),
    );
    expect(out).toEqual(Array.from({ length: 6 }, () => ({ shared: true, length: 200_000, first: 1.5 })));
    expect(big.buffer).toBeInstanceOf(ArrayBuffer); // the caller's array is left as it was
  });

  it('copies small arrays, and every array when maxNbytes is null', async () => {
    const small = new Float64Array(10).fill(2);
    expect(await run('1M', [delayed(describeBuffer)(small)])).toEqual([
      { shared: false, length: 10, first: 2 },
    ]);
    const big = new Float64Array(200_000).fill(3);
    expect(await run(null, [delayed(describeBuffer)(big)])).toEqual([
      { shared: false, length: 200_000, first: 3 },
    ]);
  });

  it('shares one copy per call, however many tasks use the array', async () => {
    const counter = new Int32Array(300_000); // 1.2 MB
    const counts = (await run(
      '1M',
      Array.from({ length: 8 }, () => delayed(bumpCounter)(counter)),
    )) as number[];
    // one shared copy: every task saw the increments of the ones before it
    expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(counter[0]).toBe(0);
    // a new call gets a fresh copy
    expect(await run('1M', [delayed(bumpCounter)(counter)])).toEqual([1]);
  });
});
