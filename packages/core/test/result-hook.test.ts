import { afterEach, describe, expect, it } from 'vitest';
import { encodeBatch, runBatch, TaskBatch } from '../src/backend-api.js';
import { delayed, task } from '../src/index.js';
import { setWorkerResultHook } from '../src/internal.js';
import { deserializeError } from '../src/serialize-error.js';
import { echo, square } from '../src/testing/tasks.js';

const batch = (tasks: ReturnType<ReturnType<typeof delayed>>[], settle: boolean) =>
  new TaskBatch({ callId: 'call', firstIndex: 0, tasks, nested: null, depth: 1, settle });

describe('worker result hook (a library rewrites a batch result before it is answered)', () => {
  afterEach(() => setWorkerResultHook(undefined));

  it('its values replace the batch values; undefined leaves them as they are', async () => {
    setWorkerResultHook((wire, values) =>
      wire.size === 1 ? Promise.resolve(values.map((v) => (v as number) + 1)) : undefined,
    );
    expect((await runBatch(encodeBatch(batch([delayed(square)(3)], false)))).values).toEqual([10]);
    expect(
      Array.from(
        (await runBatch(encodeBatch(batch([delayed(square)(2), delayed(square)(3)], false)))).values,
      ),
    ).toEqual([4, 9]);
  });

  it('a rejection fails the first task, in either result layout', async () => {
    setWorkerResultHook(() => Promise.reject(new RangeError('stream broke')));
    const unsettled = await runBatch(encodeBatch(batch([delayed(echo)('x')], false)));
    expect(unsettled.values).toEqual([]);
    expect(deserializeError(unsettled.error!.error)).toMatchObject({
      name: 'RangeError',
      message: 'stream broke',
    });
    const settled = await runBatch(encodeBatch(batch([delayed(echo)('x')], true)));
    expect(settled.errors?.[0]?.[0]).toBe(0);
    expect(deserializeError(settled.errors![0]![1])).toMatchObject({ message: 'stream broke' });
  });
});

const Point = task(
  import.meta.url,
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  },
);

describe('a class registered with task()', () => {
  it('is constructed by its batch (the instance is the value a result hook hosts)', async () => {
    let hosted: unknown;
    setWorkerResultHook((_wire, values) => {
      hosted = values[0];
      return Promise.resolve([null]);
    });
    const result = await runBatch(
      encodeBatch(batch([delayed(Point as unknown as (x: number, y: number) => unknown)(1, 2)], true)),
    );
    expect(result.errors).toBeUndefined();
    expect(hosted).toBeInstanceOf(Point);
    expect(hosted).toMatchObject({ x: 1, y: 2 });
  });
});
