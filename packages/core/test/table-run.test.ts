import { describe, expect, it } from 'vitest';
import { encodeBatch, runBatch, TaskBatch } from '../src/backend-api.js';
import { delayed } from '../src/index.js';

const wireOf = (tasks: ReturnType<ReturnType<typeof delayed>>[], settle = false) =>
  encodeBatch(new TaskBatch({ callId: 'c', firstIndex: 0, tasks, nested: null, depth: 1, settle }));

/** x, or a promise of x when x is odd, or a throw/rejection at `bad` (sync when even). */
const mixed = (x: number, bad = -1): unknown => {
  if (x === bad) {
    if (x % 2 === 0) throw new Error(`sync ${x}`);
    return Promise.reject(new Error(`async ${x}`));
  }
  return x % 2 ? Promise.resolve(x * 10) : x * 10;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the worker task loop', () => {
  it('runs sync and promise-returning tasks in order, numbers answered as a Float64Array', async () => {
    const result = await runBatch(wireOf(range(20).map((x) => delayed(mixed)(x))));
    expect(result.values).toBeInstanceOf(Float64Array);
    expect(Array.from(result.values)).toEqual(range(20).map((x) => x * 10));
  });

  it('switches to an array at the first result that is not a number, keeping earlier numbers', async () => {
    const f = (x: number) => (x === 17 ? 'seventeen' : x);
    const result = await runBatch(wireOf(range(20).map((x) => delayed(f)(x))));
    expect(Array.isArray(result.values)).toBe(true);
    expect(result.values).toEqual(range(20).map((x) => (x === 17 ? 'seventeen' : x)));
  });

  it('stops at the first failure, sync or async, with the values before it', async () => {
    for (const bad of [0, 6, 18, 19]) {
      const result = await runBatch(wireOf(range(20).map((x) => delayed(mixed)(x, bad))));
      expect(result.error?.pos).toBe(bad);
      expect(result.error?.error.message).toBe(`${bad % 2 ? 'async' : 'sync'} ${bad}`);
      expect(Array.from(result.values)).toEqual(range(bad).map((x) => x * 10));
    }
  });

  it('settled: every task runs; failures are reported by position, the rest are values', async () => {
    const result = await runBatch(
      wireOf(
        range(20).map((x) => delayed(mixed)(x, x === 5 || x === 12 ? x : -1)),
        true,
      ),
    );
    expect(result.errors?.map(([pos, e]) => [pos, e.message])).toEqual([
      [5, 'async 5'],
      [12, 'sync 12'],
    ]);
    expect(result.values[4]).toBe(40);
    expect(result.values[19]).toBe(190);
  });
});
