import { describe, expect, it } from 'vitest';
import {
  decodeResult,
  encodeBatch,
  explainUnsendableBatch,
  explainUnsendableResult,
  runBatch,
  TaskBatch,
  wireTaskArgs,
} from '../src/backend-api.js';
import { BatchFailure } from '../src/errors.js';
import { delayed, SerializationError, WorkerCrashedError } from '../src/index.js';
import { findUncloneable } from '../src/internal.js';
import { deserializeError, serializeError } from '../src/serialize-error.js';
import { add, echo, failAt, square } from '../src/testing/tasks.js';
import { expressionSource } from '../src/wire.js';

const batch = (tasks: ReturnType<ReturnType<typeof delayed>>[], settle = false, firstIndex = 10) =>
  new TaskBatch({ callId: 'call', firstIndex, tasks, nested: null, depth: 1, settle });

/** Simulates a worker: the wire batch crosses a structured clone, as postMessage does. */
/** Runs a batch through the wire; a failure rejects with the task's own error (unwrapped from its BatchFailure). */
const roundTrip = async (b: TaskBatch) => {
  const result = structuredClone(await runBatch(structuredClone(encodeBatch(b))));
  try {
    return Array.from(decodeResult(b, result));
  } catch (e) {
    throw e instanceof BatchFailure ? e.error : e;
  }
};

describe('wire format and worker runtime', () => {
  it('references task() functions by module and ships others as source', () => {
    const wire = encodeBatch(
      batch([delayed(square)(2), delayed((x: number) => x + 1)(3), delayed(square)(4)]),
    );
    expect(wire.fns).toEqual([
      { name: 'square', module: expect.stringMatching(/^file:.*testing\/tasks\.ts$/) },
      { name: 'anonymous', source: '(x) => x + 1' },
    ]);
    expect(wire.fnOf).toEqual([0, 1, 0]);
    expect(encodeBatch(batch([delayed(square)(1), delayed(square)(2)])).fnOf).toBeNull();
  });

  it('runs arrow, async, function-expression and method-shorthand sources', async () => {
    const obj = {
      triple(x: number) {
        return x * 3;
      },
      async later(x: number) {
        return x - 1;
      },
    };
    const values = await roundTrip(
      batch([
        delayed((x: number) => x * 2)(1),
        delayed(async (x: number) => x * 2)(2),
        delayed(function named(x: number) {
          return x + 100;
        })(3),
        delayed(obj.triple)(4),
        delayed(obj.later)(5),
        delayed(square)(6),
      ]),
    );
    expect(values).toEqual([2, 4, 103, 12, 4, 36]);
  });

  it('normalises method shorthand to a function expression', () => {
    expect(expressionSource('foo(a, b) { return a + b; }')).toBe('function foo(a, b) { return a + b; }');
    expect(expressionSource('async foo(a) { return a; }')).toBe('async function foo(a) { return a; }');
    expect(expressionSource('*gen() { yield 1; }')).toBe('function* gen() { yield 1; }');
    expect(expressionSource('x => x')).toBe('x => x');
  });

  it('explains a shipped function that uses a variable of its enclosing scope', async () => {
    const factor = 3;
    const error = await roundTrip(batch([delayed((x: number) => x * factor)(2)])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReferenceError);
    expect((error as Error).message).toMatch(
      /uses 'factor', a variable of its enclosing scope.*task\(import\.meta\.url, fn\)/,
    );
    expect(error).toMatchObject({ taskIndex: 10 });
  });

  it('refuses native and bound functions with a clear error naming the task', () => {
    expect(() => encodeBatch(batch([delayed(square)(1), delayed(Math.sqrt)(4)]))).toThrow(SerializationError);
    try {
      encodeBatch(batch([delayed(square)(1), delayed(Math.sqrt)(4)]));
    } catch (e) {
      expect(e).toMatchObject({
        taskIndex: 11,
        message: expect.stringMatching(/'sqrt' is native code.*Math\.sqrt\(x\)/),
      });
    }
    const bound = ((x: number) => x).bind(null);
    expect(() => encodeBatch(batch([delayed(bound)(1)]))).toThrow(/bound function/);
  });

  it('re-throws task errors with class, code, own properties, cause, stack and index', async () => {
    const error = (await roundTrip(batch([delayed(failAt)(0, 1), delayed(failAt)(1, 1)])).catch(
      (e: unknown) => e,
    )) as TypeError & {
      code: string;
      taskIndex: number;
    };
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ message: 'bad value 1', code: 'E_BAD', taskIndex: 11 });
    expect(error.stack).toMatch(/failAt/);
    const custom = (await roundTrip(batch([delayed(failAt)(3, 3, 'custom')])).catch(
      (e: unknown) => e,
    )) as Error & Record<string, unknown>;
    expect(custom.name).toBe('CustomError');
    expect(custom.detail).toEqual({ x: 3 });
    expect(custom.cause).toBeInstanceOf(RangeError);
    const thrown = await roundTrip(batch([delayed(failAt)(2, 2, 'string')])).catch((e: unknown) => e);
    expect(thrown).toBe('plain string 2');
  });

  it('settled batches run every task and mark failures', async () => {
    const values = await roundTrip(
      batch([delayed(failAt)(0, 1), delayed(failAt)(1, 1), delayed(failAt)(2, 1)], true),
    );
    expect(values[0]).toBe(0);
    expect(values[2]).toBe(2);
    expect((values[1] as { error: Error }).error).toMatchObject({ message: 'bad value 1', taskIndex: 11 });
  });

  it('runs nested calls with the nested backend config and depth', async () => {
    const wire = {
      ...encodeBatch(batch([delayed(square)(1)])),
      nested: { backend: 'sequential', nJobs: null, level: 1 },
    };
    expect(await runBatch(wire)).toEqual({ values: [1], runMs: expect.any(Number) });
  });

  it('refuses source when allowSource is false, and reports module problems', async () => {
    const refused = await runBatch(encodeBatch(batch([delayed((x: number) => x)(1)])), {
      allowSource: false,
    });
    expect(refused.error?.error.message).toMatch(/--allow-source/);
    const missing = await runBatch({
      ...encodeBatch(batch([delayed(square)(1)])),
      fns: [{ name: 'nope', module: new URL('../src/testing/tasks.ts', import.meta.url).href }],
    });
    expect(missing.error?.error.message).toMatch(/registers no task named 'nope'/);
  });

  it('reports the task start of each task', async () => {
    const starts: number[] = [];
    await runBatch(encodeBatch(batch([delayed(square)(1), delayed(square)(2)])), {
      onTaskStart: (p) => starts.push(p),
    });
    expect(starts).toEqual([0, 1]);
  });
});

describe('serialization errors name the path', () => {
  it('finds the uncloneable place inside a value', () => {
    expect(findUncloneable({ a: 1, b: [1, { cb: () => 1 }] }, 'args[0]')).toEqual({
      path: 'args[0].b[1].cb',
      what: 'a function (cb)',
    });
    expect(findUncloneable(new Map([['k', Symbol('s')]]), 'x')).toEqual({
      path: 'x.get("k")',
      what: 'a symbol',
    });
    expect(findUncloneable({ w: new WeakMap() }, 'v')).toEqual({ path: 'v.w', what: 'a WeakMap' });
    expect(findUncloneable({ ok: [1, new Date()] }, 'v')).toBeNull();
  });

  it('explains an unsendable batch and result', () => {
    const b = batch([delayed(square)(1), delayed(square)({ cb: () => 0 } as never)]);
    const error = explainUnsendableBatch(b);
    expect(error).toMatchObject({ taskIndex: 11, path: 'args[0].cb', phase: 'arguments' });
    expect(error.message).toMatch(/task 11: args\[0\]\.cb is a function/);
    const wire = encodeBatch(b);
    const result = explainUnsendableResult(wire, { values: [1, { handler: () => 0 }] });
    expect(result.error?.pos).toBe(1);
    expect(deserializeError(result.error!.error)).toMatchObject({
      name: 'SerializationError',
      path: 'result.handler',
      taskIndex: 11,
    });
  });

  it('round-trips parajob error classes', () => {
    const crash = new WorkerCrashedError('died', { exitReason: 'SIGKILL', taskIndex: 3 });
    const back = deserializeError(structuredClone(serializeError(crash)));
    expect(back).toBeInstanceOf(WorkerCrashedError);
    expect(back).toMatchObject({ exitReason: 'SIGKILL', taskIndex: 3, message: 'died' });
  });
});

describe('unsendable results in settled batches', () => {
  it('marks every unsendable value and keeps the rest', () => {
    const wire = {
      ...encodeBatch(batch([delayed(square)(1), delayed(square)(2), delayed(square)(3)], true)),
    };
    const out = explainUnsendableResult(wire, { values: [() => 0, 4, { s: Symbol('x') }] });
    expect(out.values[1]).toBe(4);
    expect(out.errors?.map(([pos, e]) => [pos, e.props.path])).toEqual([
      [0, 'result'],
      [2, 'result.s'],
    ]);
  });
});

describe('columnar arguments', () => {
  it('sends one column per argument position when the tasks take the same number of arguments', async () => {
    const b = batch([delayed(add)(1, 2), delayed(add)(3, 4), delayed(add)(5, 6)]);
    const wire = encodeBatch(b);
    expect(wire).toMatchObject({
      columnar: true,
      size: 3,
      args: [Int32Array.of(1, 3, 5), Int32Array.of(2, 4, 6)],
    });
    expect(wireTaskArgs(wire)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(await roundTrip(b)).toEqual([3, 7, 11]);
  });

  it('keeps rows for mixed arities or functions, and runs up to any arity', async () => {
    expect(encodeBatch(batch([delayed(add)(1), delayed(add)(1, 2)])).columnar).toBe(false);
    const many = (...xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const b = batch([delayed(many)(1, 2, 3, 4), delayed(many)(5, 6, 7, 8)]);
    expect(encodeBatch(b).columnar).toBe(true);
    expect(await roundTrip(b)).toEqual([10, 26]);
    expect(await roundTrip(batch([delayed(() => 7)(), delayed(() => 8)()]))).toEqual([7, 8]);
  });

  it('maps argument values through mapArgs in either layout', async () => {
    const cat = (...parts: string[]) => parts.join('');
    const b = batch([delayed(cat)('a', 'b'), delayed(cat)('c', 'd')]);
    const upper = (values: readonly unknown[]) => values.map((v) => (v as string).toUpperCase());
    expect(await runBatch(encodeBatch(b), { mapArgs: upper })).toEqual({
      values: ['AB', 'CD'],
      runMs: expect.any(Number),
    });
    const rows = batch([delayed(cat)('a', 'b'), delayed(cat)('c', 'd', 'e')]);
    expect(await runBatch(encodeBatch(rows), { mapArgs: upper })).toEqual({
      values: ['AB', 'CDE'],
      runMs: expect.any(Number),
    });
    // number columns cross as Float64Array and are not mapped (they hold no buffers to restore)
    const numbers = batch([delayed(add)(1, 2), delayed(add)(3, 4)]);
    const never = () => {
      throw new Error('mapArgs called for a number column');
    };
    expect(await runBatch(encodeBatch(numbers), { mapArgs: never })).toEqual({
      values: [3, 7],
      runMs: expect.any(Number),
    });
  });
});

describe('numbers cross as Float64Array', () => {
  it('packs an all-number argument column and all-number results, and unpacks them exactly', async () => {
    const inputs = [-0, Number.NaN, 1.5, 2 ** 53, -7, ...Array.from({ length: 20 }, (_, i) => i)];
    const b = batch(inputs.map((x) => delayed(square)(x)));
    const wire = encodeBatch(b);
    expect(wire.args[0]).toBeInstanceOf(Float64Array);
    const result = await runBatch(structuredClone(wire));
    expect(result.values).toBeInstanceOf(Float64Array);
    // handed to the call as they came: Parallel copies them into its result array once
    const values = decodeResult(b, structuredClone(result));
    expect(values).toBeInstanceOf(Float64Array);
    expect(Array.from(values)).toEqual(inputs.map((x) => x * x));
    expect(
      Object.is(
        (await roundTrip(batch(Array.from({ length: 20 }, () => delayed((x: number) => x)(-0)))))[0],
        -0,
      ),
    ).toBe(true);
  });

  it('keeps arrays when any value is not a number', async () => {
    const b = batch([...Array.from({ length: 20 }, (_, i) => delayed(echo)(i)), delayed(echo)('x')]);
    expect(Array.isArray(encodeBatch(b).args[0])).toBe(true);
    const result = await runBatch(encodeBatch(b));
    expect(Array.isArray(result.values)).toBe(true);
  });
});
