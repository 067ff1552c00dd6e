import type { WireBatch } from '@parajob/core/backend';
import { shutdownWorkerThreadsPools } from '@parajob/worker-threads';
import { afterAll, describe, expect, it } from 'vitest';
import { RemoteExecutor } from '../src/executor.js';
import { checkWorkerLimits } from '../src/limits.js';
import { WorkerPolicy } from '../src/policy.js';
import { makeProject } from './project.js';

const project = makeProject();
const executor = new RemoteExecutor(2, new WorkerPolicy({ allow: ['@parajob/core'] }));
const strict = new RemoteExecutor(1, new WorkerPolicy({ root: project.root }));
afterAll(async () => {
  await executor.close();
  await strict.close();
  await shutdownWorkerThreadsPools();
  project.remove();
});

const TASKS = '@parajob/core/testing/tasks';
const batch = (fns: WireBatch['fns'], args: unknown[][], extra: Partial<WireBatch> = {}): WireBatch => ({
  v: 1,
  call: 'c1',
  first: 10,
  fns,
  fnOf: null,
  size: args.length,
  args,
  columnar: false,
  nested: null,
  depth: 0,
  settle: false,
  ...extra,
});
const run = (wire: unknown, ex = executor) =>
  ex.run(wire, { signal: new AbortController().signal, timeout: null });

describe('RemoteExecutor', () => {
  it('runs a wire batch of a task() function on the pool', async () => {
    const result = await run(batch([{ name: 'square', module: TASKS }], [[2], [3], [4]]));
    expect(result.error).toBeUndefined();
    expect(Array.from(result.values)).toEqual([4, 9, 16]);
  });

  it('keeps the values that completed before a failure', async () => {
    const result = await run(
      batch(
        [{ name: 'failAt', module: TASKS }],
        [
          [1, 3],
          [2, 3],
          [3, 3],
          [4, 3],
        ],
      ),
    );
    expect(Array.from(result.values)).toEqual([1, 2]);
    expect(result.error?.pos).toBe(2);
    expect(result.error?.error.message).toContain('bad value 3');
  });

  it('never calls a plain export, even of an allowed module', async () => {
    const result = await run(batch([{ name: 'ok', module: './src/tasks.js' }], [[]]), strict);
    expect(result.error?.error.message).toMatch(/registers no task named 'ok'/);
  });

  it('refuses modules before anything is imported', async () => {
    const result = await run(batch([{ name: 'run', module: './node_modules/evil/index.js' }], [[]]), strict);
    expect(result.error?.error.message).toMatch(/rule: node_modules by path/);
    expect(result.error?.error.props).toMatchObject({ code: 'PARAJOB_REFUSED', rule: 'node-modules' });
  });

  it('refuses source functions without --allow-source', async () => {
    const result = await run(batch([{ name: 'f', source: '(x) => x + 1' }], [[1]]));
    expect(result.error?.error.message).toMatch(/--allow-source/);
    const open = new RemoteExecutor(1, new WorkerPolicy({ allowSource: true }));
    try {
      expect(
        Array.from((await run(batch([{ name: 'f', source: '(x) => x + 1' }], [[1]]), open)).values),
      ).toEqual([2]);
    } finally {
      await open.close();
    }
  });

  it.each([
    ['garbage', 'not a batch'],
    [null, 'null'],
    [{ v: 2 }, 'wire version 2'],
    [{ ...batch([{ name: 'square', module: TASKS }], [[1]]), size: 1e12 }, 'bad task count'],
    [{ ...batch([{ name: 'square', module: TASKS }], [[1]]), size: 5 }, 'bad argument rows'],
    [{ ...batch([{ name: 'square', module: TASKS }], [[1]]), fnOf: [7] }, 'bad function layout'],
    [{ ...batch([{ name: 'square' }], [[1]]) }, 'must have a module or a source'],
  ])('answers a hostile payload %# with a clear error', async (payload, why) => {
    const result = await run(payload);
    expect(result.error?.pos).toBe(0);
    expect(result.error?.error.message).toContain(why);
  });

  it('answers a timeout as the failing task, and keeps serving', async () => {
    const result = await executor.run(batch([{ name: 'spin', module: TASKS }], [[1], [5_000]]), {
      signal: new AbortController().signal,
      timeout: 200,
    });
    expect(result.error?.pos).toBe(1);
    expect(result.error?.error.name).toBe('TaskTimeoutError');
    expect(Array.from((await run(batch([{ name: 'square', module: TASKS }], [[5]]))).values)).toEqual([25]);
  });
});

describe('RemoteExecutor limits', () => {
  it('replaces a pool thread after maxTasksPerWorker tasks, between batches', async () => {
    const limited = new RemoteExecutor(1, new WorkerPolicy({ allow: ['@parajob/core'] }), {
      maxTasksPerWorker: 2,
    });
    try {
      const where: string[] = [];
      for (let i = 0; i < 6; i++) {
        const result = await run(batch([{ name: 'whereAmI', module: TASKS }], [[]]), limited);
        expect(result.error).toBeUndefined();
        where.push(...(Array.from(result.values) as string[]));
      }
      // two tasks per thread: three threads at least (six without the limit: never fewer than one)
      expect(new Set(where).size).toBeGreaterThanOrEqual(3);
    } finally {
      await limited.close();
    }
  });

  it.each([
    [
      { maxTasksPerWorker: 0 },
      /maxTasksPerWorker \(--max-tasks-per-worker\) must be a positive integer.*got 0/,
    ],
    [{ maxTasksPerWorker: 1.5 }, /maxTasksPerWorker .*got 1.5/],
    [
      { maxMemoryPerWorker: -1 },
      /maxMemoryPerWorker \(--max-memory-per-worker\) must be a positive number of MB.*got -1/,
    ],
    [{ maxMemoryPerWorker: Number.NaN }, /maxMemoryPerWorker .*got NaN/],
    [{ idleTimeout: -1 }, /idleTimeout \(--idle-timeout\) must be a non-negative integer of ms.*got -1/],
    [{ idleTimeout: '5' as unknown as number }, /idleTimeout .*got 5/],
  ])('refuses the limits %j with a RangeError naming the option', (limits, message) => {
    expect(() => checkWorkerLimits(limits)).toThrow(RangeError);
    expect(() => checkWorkerLimits(limits)).toThrow(message);
    expect(() => new RemoteExecutor(1, new WorkerPolicy({ allow: ['@parajob/core'] }), limits)).toThrow(
      message,
    );
  });

  it('keeps only the limits given', () => {
    expect(checkWorkerLimits({ maxTasksPerWorker: 3, idleTimeout: undefined })).toEqual({
      maxTasksPerWorker: 3,
    });
    expect(checkWorkerLimits({})).toEqual({});
  });
});
