/**
 * The conformance suite any backend runs against itself (vitest):
 *
 *   import { describeBackendConformance } from '@parajob/core/testing';
 *   describeBackendConformance('my-backend', { create: () => new MyBackend() });
 */

import { activeInside, echo, failAt, nestedSquares, sleep, spin, square } from '@parajob/core/testing/tasks';
import { afterAll, describe, expect, it } from 'vitest';
import type { ParallelBackend } from '../backend.js';
// core's runtime through its entries, not its modules: the build gives this file no copy of its own
import { nestedBackendOf } from '../backend-api.js';
import { delayed, Parallel, type ParallelOptions, TaskTimeoutError } from '../index.js';
import { describeProtocolObligations } from './protocol.js';

export interface ConformanceOptions {
  /** A fresh backend instance (one per test). */
  create: () => ParallelBackend;
  /** Workers to ask for; default 2. */
  nJobs?: number;
  /** Test timeouts (default: the backend's supportsTimeout). */
  timeout?: boolean;
  /** Called once after the suite (stop servers, pools...). */
  cleanup?: () => Promise<void> | void;
}

export function describeBackendConformance(name: string, options: ConformanceOptions): void {
  const nJobs = options.nJobs ?? 2;
  const created: ParallelBackend[] = [];
  const track = (backend: ParallelBackend) => {
    created.push(backend);
    return backend;
  };
  const parallel = (extra: ParallelOptions = {}) => {
    const backend = options.create();
    created.push(backend);
    return new Parallel({ nJobs, backend, ...extra });
  };

  describe(`${name} conformance`, () => {
    afterAll(async () => {
      for (const b of created) await b.terminate();
      await options.cleanup?.();
    });

    it('returns results in input order', async () => {
      const inputs = Array.from({ length: 50 }, (_, i) => i);
      expect(await parallel().run(inputs.map((x) => delayed(square)(x)))).toEqual(inputs.map((x) => x * x));
      expect(await parallel({ batchSize: 7 }).run(inputs.map((x) => delayed(square)(x)))).toEqual(
        inputs.map((x) => x * x),
      );
    });

    it('keeps order when later tasks finish first', async () => {
      const delays = [60, 1, 30, 1, 10, 1];
      expect(await parallel({ batchSize: 1 }).run(delays.map((ms, i) => delayed(sleep)(ms, i)))).toEqual([
        0, 1, 2, 3, 4, 5,
      ]);
    });

    it('returns [] for an empty input', async () => {
      expect(await parallel().run([])).toEqual([]);
    });

    it('consumes async iterables', async () => {
      async function* gen() {
        for (let i = 0; i < 10; i++) yield delayed(square)(i);
      }
      expect(await parallel().run(gen())).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
    });

    it('round-trips structured-clone values', async () => {
      const value = {
        n: 1n,
        d: new Date(0),
        m: new Map([[1, 'a']]),
        s: new Set([1]),
        t: new Float64Array([1.5]),
        r: /x/g,
      };
      const [out] = await parallel().run([delayed(echo)(value)]);
      expect(out).toEqual(value);
    });

    it('rejects with the task error itself: class, message, code, taskIndex', async () => {
      const error = await parallel()
        .run(Array.from({ length: 20 }, (_, i) => delayed(failAt)(i, 7)))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ message: 'bad value 7', code: 'E_BAD', taskIndex: 7 });
    });

    it('keeps name, own properties and cause of custom errors', async () => {
      const error = (await parallel()
        .run([delayed(failAt)(0, 0, 'custom')])
        .catch((e: unknown) => e)) as Error & { detail: unknown; code: string; cause: Error };
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('CustomError');
      expect(error.code).toBe('E_CUSTOM');
      expect(error.detail).toEqual({ x: 0 });
      expect(error.cause).toBeInstanceOf(RangeError);
      expect(error.cause.message).toBe('root cause');
    });

    it('stops dispatching after the first error', async () => {
      let pulled = 0;
      function* tasks() {
        for (let i = 0; i < 10_000; i++) {
          pulled++;
          yield delayed(failAt)(i, 0);
        }
      }
      await expect(parallel({ batchSize: 1 }).run(tasks())).rejects.toThrow('bad value 0');
      expect(pulled).toBeLessThan(10_000);
    });

    it('runSettled reports every task and keeps going', async () => {
      const settled = await parallel().runSettled(
        Array.from({ length: 10 }, (_, i) => delayed(failAt)(i, 4)),
      );
      expect(settled).toHaveLength(10);
      expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
      expect(settled[4]).toMatchObject({
        status: 'rejected',
        reason: { message: 'bad value 4', taskIndex: 4 },
      });
      expect(settled[9]).toEqual({ status: 'fulfilled', value: 9 });
    });

    it('iter yields in order and iterUnordered yields every result', async () => {
      const p = parallel();
      const ordered: number[] = [];
      for await (const v of p.iter([5, 1, 3].map((ms, i) => delayed(sleep)(ms, i)))) ordered.push(v);
      expect(ordered).toEqual([0, 1, 2]);
      const unordered: number[] = [];
      for await (const v of p.iterUnordered(Array.from({ length: 8 }, (_, i) => delayed(square)(i))))
        unordered.push(v);
      expect(unordered.sort((a, b) => a - b)).toEqual([0, 1, 4, 9, 16, 25, 36, 49]);
    });

    it('leaving iter early over an infinite input cancels the call only', async () => {
      const p = parallel();
      function* naturals() {
        for (let i = 0; ; i++) yield delayed(square)(i);
      }
      const seen: number[] = [];
      for await (const v of p.iter(naturals())) {
        seen.push(v);
        if (seen.length === 5) break;
      }
      expect(seen).toEqual([0, 1, 4, 9, 16]);
      expect(await p.run([delayed(square)(3)])).toEqual([9]);
    });

    it('aborting the signal rejects with its reason, and the backend stays usable', async () => {
      const controller = new AbortController();
      const reason = new Error('stop now');
      const p = parallel({ signal: controller.signal, batchSize: 1 });
      const call = p.run(Array.from({ length: 6 }, () => delayed(sleep)(200, 0)));
      setTimeout(() => controller.abort(reason), 20);
      await expect(call).rejects.toBe(reason);
      expect(await parallel().run([delayed(square)(4)])).toEqual([16]);
    });

    it('refuses a second concurrent call on one instance', async () => {
      const p = parallel();
      const first = p.run([delayed(sleep)(50, 1)]);
      await expect(p.run([delayed(square)(1)])).rejects.toThrow(/already running/);
      expect(await first).toEqual([1]);
    });

    it('gives tasks the nested backend for their own Parallel calls', async () => {
      const backend = options.create();
      created.push(backend);
      const expected = nestedBackendOf(backend);
      const [inside] = await new Parallel({ nJobs, backend }).run([delayed(activeInside)()]);
      expect(inside).toMatchObject({
        name: expected.backend.name,
        nestingLevel: expected.backend.nestingLevel,
      });
      expect(await parallel().run([delayed(nestedSquares)(4)])).toEqual([[0, 1, 4, 9]]);
    });

    it('reports progress after every batch and at the end', async () => {
      const seen: Array<{ completed: number; total: number | null }> = [];
      await parallel({ onProgress: (p) => seen.push({ completed: p.completed, total: p.total }) }).run(
        Array.from({ length: 12 }, (_, i) => delayed(square)(i)),
      );
      expect(seen.at(-1)).toEqual({ completed: 12, total: 12 });
    });

    const timeouts = options.timeout ?? options.create().supportsTimeout;
    it.runIf(timeouts)('fails a task over its timeout with TaskTimeoutError, then works again', async () => {
      const error = await parallel({ timeout: 300, batchSize: 1 })
        .run([delayed(square)(2), delayed(spin)(30_000)])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ taskIndex: 1, timeoutMs: 300 });
      expect(await parallel({ timeout: 10_000 }).run([delayed(square)(5)])).toEqual([25]);
    });

    describeProtocolObligations(name, () => track(options.create()), nJobs);
  });
}
