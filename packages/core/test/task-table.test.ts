import { describe, expect, it } from 'vitest';
import { Delayed, delayed } from '../src/index.js';
import { TaskTable } from '../src/task-table.js';

const add = (a: unknown, b: unknown) => `${a}+${b}`;
const neg = (a: number) => -a;
const tableOf = (tasks: Delayed[], capacity?: number) => {
  const table = new TaskTable(capacity);
  for (const t of tasks) table.add(t.fn, t.args);
  return table.seal();
};
const rowsOf = (table: TaskTable) => Array.from({ length: table.length }, (_, i) => table.argsAt(i));

describe('TaskTable', () => {
  it('packs integers in Int32Array columns and other numbers in Float64Array ones, growing as needed', () => {
    const table = tableOf(
      Array.from({ length: 40 }, (_, i) => delayed(add)(i, -i)),
      3,
    );
    expect(table.length).toBe(40);
    expect(table.columns).toHaveLength(2);
    expect(table.columns![0]).toBeInstanceOf(Int32Array);
    expect(table.columns![0]).toHaveLength(40); // sealed: trimmed to the number of tasks
    expect(table.columns![1]).toBeInstanceOf(Float64Array); // -0 is not an int32
    expect(Object.is(table.argsAt(0)[1], -0)).toBe(true);
    expect(table.call(39)).toBe('39+-39');
  });

  it('turns a column into an array at its first value that is not a number, keeping every value', () => {
    const big = 10n;
    const table = tableOf([delayed(add)(1, 'a'), delayed(add)(2, 'b'), delayed(add)('x', big)]);
    expect(Array.isArray(table.columns![0])).toBe(true);
    expect(rowsOf(table)).toEqual([
      [1, 'a'],
      [2, 'b'],
      ['x', big],
    ]);
  });

  it('keeps the arguments as values, objects by reference', () => {
    const shared = { n: 1 };
    const table = tableOf([delayed(add)(shared, undefined), delayed(add)(shared, null)]);
    expect(table.argsAt(0)[0]).toBe(shared);
    expect(table.argsAt(1)).toEqual([shared, null]);
  });

  it('switches to rows when the number of arguments changes, or exceeds 8', () => {
    const varargs = (...xs: unknown[]) => xs.length;
    const mixed = tableOf([delayed(varargs)(1, 2), delayed(varargs)(3, 4), delayed(varargs)(5)]);
    expect(mixed.columns).toBeNull();
    expect(rowsOf(mixed)).toEqual([[1, 2], [3, 4], [5]]);
    expect(mixed.call(2)).toBe(1);
    const nine = Array.from({ length: 9 }, (_, i) => i);
    const wide = tableOf([delayed(varargs)(...nine), delayed(varargs)(...nine)]);
    expect(wide.columns).toBeNull();
    expect(wide.call(1)).toBe(9);
  });

  it('records which function each task calls once a second one appears', () => {
    const table = tableOf([delayed(neg)(1), delayed(neg)(2), delayed(Math.abs)(-3), delayed(neg)(4)]);
    expect(table.fns).toEqual([neg, Math.abs]);
    expect(table.fnOf).toEqual([0, 0, 1, 0]);
    expect([0, 1, 2, 3].map((i) => table.call(i))).toEqual([-1, -2, 3, -4]);
  });

  it('calls functions of any arity with exactly their arguments', () => {
    const count = (...xs: unknown[]) => xs.length;
    for (const arity of [0, 1, 2, 3, 4, 8]) {
      const args = Array.from({ length: arity }, (_, i) => i);
      const table = tableOf([delayed(count)(...args), delayed(count)(...args)]);
      expect(table.call(1)).toBe(arity);
    }
  });

  it('slices a range into a table of its own and rebuilds delayed calls', () => {
    const table = tableOf(Array.from({ length: 10 }, (_, i) => delayed(i % 3 ? neg : Math.abs)(i)));
    const part = table.slice(4, 7);
    expect(part.length).toBe(3);
    expect(part.columns![0]).toEqual(Int32Array.of(4, 5, 6));
    expect(part.toDelayed()).toEqual([
      new Delayed(neg, [4]),
      new Delayed(neg, [5]),
      new Delayed(Math.abs, [6]),
    ]);
  });

  it('widens an Int32Array column when a larger or fractional number arrives, keeping earlier values', () => {
    const values = [1, 2, 2 ** 31, 3, 0.5, Number.NaN, -(2 ** 31)];
    const table = tableOf(values.map((v) => delayed(neg)(v)));
    expect(table.columns![0]).toBeInstanceOf(Float64Array);
    expect(rowsOf(table).map(([v]) => v)).toEqual(values);
  });
});
