import { describe, expectTypeOf, it } from 'vitest';
import { delayed, Parallel } from '../src/index.js';

const sq = (x: number) => x * x;
const later = async (s: string) => s.length;

describe('result types flow through delayed', () => {
  it('types run, runSettled and iter results, also for mixed sync and async tasks', async () => {
    const p = new Parallel({ nJobs: 1 });
    expectTypeOf(await p.run([1, 2].map((x) => delayed(sq)(x)))).toEqualTypeOf<number[]>();
    const mixed = await p.run([delayed(sq)(1), delayed(later)('ab')]);
    expectTypeOf(mixed).toEqualTypeOf<number[]>();
    const both = await p.run([delayed(sq)(1), delayed(async (s: string) => s)('x')]);
    expectTypeOf(both).toEqualTypeOf<(number | string)[]>();
    expectTypeOf(await p.runSettled([delayed(later)('a')])).toEqualTypeOf<PromiseSettledResult<number>[]>();
    for await (const v of p.iter([delayed(later)('a')])) expectTypeOf(v).toEqualTypeOf<number>();
  });
});
