import { describe, expect, it } from 'vitest';
import { Delayed, delayed, Parallel } from '../src/index.js';
import { TaskSource } from '../src/task-source.js';
import { TaskTable } from '../src/task-table.js';

const neg = (x: number) => -x;
const add = (a: number, b: number) => a + b;

describe('Delayed', () => {
  it('keeps the argument of a one-argument call without an array, and gives args on demand', () => {
    const call = delayed(neg)(4);
    expect(call.list).toBeNull();
    expect(call.one).toBe(4);
    expect(call.args).toEqual([4]);
    // an array argument stays one argument
    const arrayArg = delayed((xs: number[]) => xs.length)([1, 2]);
    expect(arrayArg.args).toEqual([[1, 2]]);
    expect(new Delayed(add, [1, 2]).args).toEqual([1, 2]);
    expect(new Delayed(() => 0, []).args).toEqual([]);
  });

  it('mixes one-argument and other calls in one table', () => {
    const table = new TaskTable(4);
    table.addDelayed(delayed(neg)(1));
    table.addDelayed(delayed(neg)(2.5));
    table.addDelayed(new Delayed(add, [1, 2]));
    table.addDelayed(delayed(neg)('x' as unknown as number));
    table.seal();
    expect(table.toDelayed().map((d) => d.args)).toEqual([[1], [2.5], [1, 2], ['x']]);
    expect([0, 1, 2, 3].map((i) => table.call(i))).toEqual([-1, -2.5, 3, Number.NaN]);
  });
});

describe('an array of calls', () => {
  it('is read by index, not through its iterator, and only up to its length at the start', () => {
    const calls = [delayed(neg)(1), delayed(neg)(2), delayed(neg)(3)];
    Object.defineProperty(calls, Symbol.iterator, {
      value: () => {
        throw new Error('the iterator must not be used');
      },
    });
    const source = new TaskSource(calls);
    const table = new TaskTable(3);
    expect(source.fillSync(table, 2)).toBe(2);
    expect(source.exhausted).toBe(false);
    calls.push(delayed(neg)(4));
    expect(source.fillSync(table, 5)).toBe(1);
    expect(source.exhausted).toBe(true);
    expect(table.length).toBe(3);
  });

  it('runs the README idiom, with a non-delayed element reported by index', async () => {
    const parallel = new Parallel({ nJobs: 1 });
    expect(await parallel.run([1, 2, 3].map((x) => delayed(neg)(x)))).toEqual([-1, -2, -3]);
    expect(await parallel.run([])).toEqual([]);
    await expect(parallel.run([delayed(neg)(1), 5 as never])).rejects.toThrow(/task 1 is not a delayed call/);
  });
});
