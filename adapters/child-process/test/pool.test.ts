import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuCount, delayed, parallelConfig, SerializationError, WorkerCrashedError } from '@parajob/core';
import { echo } from '@parajob/core/testing/tasks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { register, shutdownPools, THREAD_LIMIT_VARS } from '../src/index.js';
import { livePools } from '../src/pools.js';
import { envOf, exitWith, failWith, pid, pidAfter, returnFunction, sumAndCount } from './fixtures/tasks.mjs';
import { isAlive, parallel } from './helpers.js';

beforeAll(() => register());
afterAll(() => shutdownPools());

describe('running tasks', () => {
  it('runs task() functions and functions shipped as source', async () => {
    expect(await parallel().run([1, 2, 3].map((x) => delayed((v: number) => v * 10)(x)))).toEqual([
      10, 20, 30,
    ]);
    const pids = await parallel().run([delayed(pid)(), delayed(pid)()]);
    expect(pids.every((p) => p !== process.pid)).toBe(true);
  });

  it("a task's error keeps its class, message and the worker's stack", async () => {
    const error = (await parallel()
      .run([delayed(failWith)('from the worker')])
      .catch((e: unknown) => e)) as Error & { taskIndex: number };
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ message: 'from the worker', taskIndex: 0 });
    expect(error.stack).toContain('tasks.mjs');
  });

  it('workers run with PARAJOB_WORKER=1', async () => {
    const [env] = await parallel().run([delayed(envOf)(['PARAJOB_WORKER'])]);
    expect(env).toEqual({ PARAJOB_WORKER: '1' });
  });

  it('an argument that cannot be cloned is a SerializationError naming its path', async () => {
    const error = await parallel()
      .run([delayed(echo)(1 as unknown), delayed(echo)({ cb: () => 1 } as unknown)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ taskIndex: 1, path: 'args[0].cb' });
  });

  it('a result that cannot be cloned is a SerializationError naming its path', async () => {
    const error = await parallel()
      .run([delayed(returnFunction)()])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ taskIndex: 0, path: 'result.cb' });
  });
});

describe('the shared pool', () => {
  it('is reused across calls and Parallel instances', async () => {
    const first = new Set(
      await parallel({ batchSize: 1 }).run(Array.from({ length: 6 }, () => delayed(pidAfter)(50))),
    );
    const second = new Set(
      await parallel({ batchSize: 1 }).run(Array.from({ length: 6 }, () => delayed(pidAfter)(50))),
    );
    expect([...second].every((p) => first.has(p))).toBe(true);
  });

  it('is resized when nJobs changes (same environment)', async () => {
    // innerMaxNumThreads fixed: the environment, hence the pool, does not depend on nJobs
    await parallelConfig({ backend: 'child-process', innerMaxNumThreads: 1 }, async () => {
      await parallel({ nJobs: 2 }).run([delayed(pid)()]);
      const pool = livePools().find((p) => p.workerCount === 2 && p.key.includes('"OMP_NUM_THREADS","1"'))!;
      expect(pool).toBeDefined();
      const pids = await parallel({ nJobs: 3, batchSize: 1 }).run(
        Array.from({ length: 6 }, () => delayed(pidAfter)(300)),
      );
      expect(new Set(pids).size).toBe(3);
      expect(pool.workerCount).toBe(3);
      await parallel({ nJobs: 2 }).run([delayed(pid)()]);
      expect(pool.workerCount).toBe(2);
    });
  });

  it('a different environment is a different pool', async () => {
    const [a] = await parallel({}, { env: { PARAJOB_TEST_POOL: 'a' } }).run([
      delayed(envOf)(['PARAJOB_TEST_POOL']),
    ]);
    const [b] = await parallel({}, { env: { PARAJOB_TEST_POOL: 'b' } }).run([
      delayed(envOf)(['PARAJOB_TEST_POOL']),
    ]);
    expect([a, b]).toEqual([{ PARAJOB_TEST_POOL: 'a' }, { PARAJOB_TEST_POOL: 'b' }]);
    const pa = await parallel({}, { env: { PARAJOB_TEST_POOL: 'a' } }).run([delayed(pid)(), delayed(pid)()]);
    const pb = await parallel({}, { env: { PARAJOB_TEST_POOL: 'b' } }).run([delayed(pid)(), delayed(pid)()]);
    expect(pa.some((p) => pb.includes(p))).toBe(false);
  });

  it('shutdownPools stops every worker; the next call starts new ones', async () => {
    const pids = await parallel().run([delayed(pid)(), delayed(pid)()]);
    await shutdownPools();
    expect(pids.some(isAlive)).toBe(false);
    expect(await parallel().run([delayed(pid)()])).toHaveLength(1);
  });
});

describe('native thread limits in the workers', () => {
  const saved = Object.fromEntries(THREAD_LIMIT_VARS.map((n) => [n, process.env[n]]));
  afterEach(() => {
    for (const [n, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  });

  it('default max(cpuCount / nJobs, 1) for every variable', async () => {
    for (const n of THREAD_LIMIT_VARS) delete process.env[n];
    const [env] = await parallel({ nJobs: 2 }).run([delayed(envOf)([...THREAD_LIMIT_VARS])]);
    const expected = String(Math.max(Math.floor(cpuCount() / 2), 1));
    expect(env).toEqual(Object.fromEntries(THREAD_LIMIT_VARS.map((n) => [n, expected])));
  });

  it('a value set in the parent passes through unchanged', async () => {
    process.env.OPENBLAS_NUM_THREADS = '4';
    process.env.UV_THREADPOOL_SIZE = '7';
    const [env] = await parallel().run([delayed(envOf)(['OPENBLAS_NUM_THREADS', 'UV_THREADPOOL_SIZE'])]);
    expect(env).toEqual({ OPENBLAS_NUM_THREADS: '4', UV_THREADPOOL_SIZE: '7' });
  });

  it("innerMaxNumThreads overrides every variable, including the parent's", async () => {
    process.env.OPENBLAS_NUM_THREADS = '4';
    const env = await parallelConfig({ backend: 'child-process', innerMaxNumThreads: 3 }, () =>
      parallel().run([delayed(envOf)([...THREAD_LIMIT_VARS])]),
    );
    expect(env[0]).toEqual(Object.fromEntries(THREAD_LIMIT_VARS.map((n) => [n, '3'])));
  });
});

describe('large buffers (maxNbytes)', () => {
  let base: string;
  afterEach(() => rmSync(base, { recursive: true, force: true }));
  const folder = () => (base = mkdtempSync(join(tmpdir(), 'parajob-cp-test-')));

  it('a big Float64Array used by many tasks is written once and read correctly; the folder goes at the end', async () => {
    const dir = folder();
    const big = new Float64Array(200_000).fill(0.5); // 1.6 MB > 1M
    const results = await parallel({ tempFolder: dir, batchSize: 2 }).run(
      Array.from({ length: 20 }, () => delayed(sumAndCount)(big, dir)),
    );
    expect(results).toEqual(
      Array.from({ length: 20 }, () => ({ sum: 100_000, files: 1, kind: 'Float64Array' })),
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('buffers under maxNbytes, or with maxNbytes null, are copied', async () => {
    const dir = folder();
    const small = new Float64Array(10).fill(1);
    expect(await parallel({ tempFolder: dir }).run([delayed(sumAndCount)(small, dir)])).toEqual([
      { sum: 10, files: 0, kind: 'Float64Array' },
    ]);
    const big = new Float64Array(200_000).fill(1);
    const [r] = await parallel({ tempFolder: dir, maxNbytes: null }).run([delayed(sumAndCount)(big, dir)]);
    expect(r).toEqual({ sum: 200_000, files: 0, kind: 'Float64Array' });
  });

  it('each distinct buffer is one file; ArrayBuffers and views of every kind come back as themselves', async () => {
    const dir = folder();
    const a = new Int32Array(400_000).fill(2);
    const b = new Uint8Array(2_000_000).fill(1);
    const [ra, rb] = await parallel({ tempFolder: dir, maxNbytes: 1000 }).run([
      delayed(sumAndCount)(a, dir),
      delayed(sumAndCount)(b, dir),
    ]);
    expect(ra).toMatchObject({ sum: 800_000, kind: 'Int32Array' });
    expect(rb).toMatchObject({ sum: 2_000_000, kind: 'Uint8Array' });
    const [buf] = await parallel({ tempFolder: dir, maxNbytes: 1000 }).run([
      delayed(echo)({ raw: new Uint8Array(5000).fill(3).buffer }),
    ]);
    expect((buf as { raw: ArrayBuffer }).raw).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array((buf as { raw: ArrayBuffer }).raw)[4999]).toBe(3);
  });

  it('the folder is removed after a failing call and after a crash', async () => {
    const dir = folder();
    const big = new Float64Array(200_000).fill(1);
    const failing = [delayed(sumAndCount)(big, dir), delayed(failWith)('no')];
    await expect(parallel({ tempFolder: dir, batchSize: 1 }).run(failing)).rejects.toThrow('no');
    expect(readdirSync(dir)).toEqual([]);
    const crashing = [delayed(sumAndCount)(big, dir), delayed(exitWith)(5)];
    await expect(parallel({ tempFolder: dir, batchSize: 1 }).run(crashing)).rejects.toBeInstanceOf(
      WorkerCrashedError,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
