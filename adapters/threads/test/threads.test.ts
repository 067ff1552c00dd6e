import {
  delayed,
  getActiveBackend,
  listBackends,
  Parallel,
  parallelConfig,
  TaskTimeoutError,
} from '@parajob/core';
import { nestedBackendOf } from '@parajob/core/backend';
import { register, ThreadsBackend } from '@parajob/threads';
import { describe, expect, it } from 'vitest';

const never = (): Promise<number> => new Promise(() => {});
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('threads backend', () => {
  it('runs tasks in the caller and shares its memory: tasks mutate a caller-owned array', async () => {
    const shared = new Array<number>(20).fill(0);
    const touch = async (i: number) => {
      await tick();
      shared[i] = i * 10;
      return i;
    };
    await new Parallel({ nJobs: 4, backend: new ThreadsBackend() }).run(
      shared.map((_, i) => delayed(touch)(i)),
    );
    expect(shared).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
  });

  it('keeps at most nJobs batches in flight, even with everything pre-dispatched', async () => {
    let running = 0;
    let peak = 0;
    const job = async (i: number) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
      return i;
    };
    const out = await new Parallel({
      nJobs: 3,
      backend: new ThreadsBackend(),
      preDispatch: 'all',
      batchSize: 1,
    }).run(Array.from({ length: 30 }, (_, i) => delayed(job)(i)));
    expect(out).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(peak).toBe(3);
  });

  it('auto-batches fast tasks and gives tasks sequential at the next nesting level', async () => {
    const sizes: number[] = [];
    await new Parallel({
      nJobs: 2,
      backend: new ThreadsBackend(),
      onProgress: (p) => sizes.push(p.batchSize),
    }).run(Array.from({ length: 2000 }, (_, i) => delayed((x: number) => x)(i)));
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    const backend = new ThreadsBackend();
    backend.nestingLevel = 1;
    expect(backend).toMatchObject({ supportsSharedMem: true, usesThreads: true, supportsTimeout: true });
    expect(nestedBackendOf(backend)).toMatchObject({
      backend: { name: 'sequential', nestingLevel: 2 },
      nJobs: null,
    });
  });

  it('rejects an async task over its timeout promptly with TaskTimeoutError', async () => {
    const error = await new Parallel({ nJobs: 2, backend: new ThreadsBackend(), timeout: 100 })
      .run([delayed(async (x: number) => x)(1), delayed(never)()])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toMatchObject({ taskIndex: 1, timeoutMs: 100 });
  });

  it('reports a synchronous task over its timeout once it returns', async () => {
    const busy = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {}
      return ms;
    };
    const error = await new Parallel({ nJobs: 2, backend: new ThreadsBackend(), timeout: 20 })
      .run([delayed(busy)(80)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
  });

  it('aborting rejects at once with the reason, also while batches wait for a slot', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const call = new Parallel({
      nJobs: 2,
      backend: new ThreadsBackend(),
      signal: controller.signal,
      preDispatch: 'all',
    }).run(Array.from({ length: 6 }, () => delayed(never)()));
    setTimeout(() => controller.abort(reason), 20);
    await expect(call).rejects.toBe(reason);
  });

  it("terminate() stops this instance's batches and leaves it usable", async () => {
    const backend = new ThreadsBackend();
    const p = new Parallel({ nJobs: 2, backend });
    const call = p.run([delayed(never)()]);
    setTimeout(() => void backend.terminate(), 20);
    await expect(call).rejects.toThrow(/cancelled/);
    expect(await p.run([delayed((x: number) => x + 1)(1)])).toEqual([2]);
  });

  it("registers as 'threads', and prefer: 'threads' selects it", async () => {
    register();
    expect(listBackends()).toContain('threads');
    // inside a threads task the nested backend is sequential one level deeper; under the
    // default sequential backend tasks keep the caller's level (0)
    const level = () => getActiveBackend().backend.nestingLevel;
    expect(await new Parallel({ nJobs: 2, prefer: 'threads' }).run([delayed(level)()])).toEqual([1]);
    expect(
      await parallelConfig({ backend: 'threads', nJobs: 2 }, () => new Parallel().run([delayed(level)()])),
    ).toEqual([1]);
  });

  it('validates its options', () => {
    expect(() => new ThreadsBackend({ nJobs: 2 } as never)).toThrow(/'nJobs' is not an option/);
    expect(() => new ThreadsBackend({ nestingLevel: 1 } as never)).toThrow(/'nestingLevel' is not an option/);
    expect(() => new ThreadsBackend(3 as never)).toThrow(TypeError);
  });
});
