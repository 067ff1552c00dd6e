/** BatchFailure: how a backend hands core the values that completed before a failing task. */
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { BatchFailure, type SubmitOptions, type TaskBatch } from '../src/backend-api.js';
import { delayed, isTaskError, Parallel, registerErrorClass, taskIndexOf } from '../src/index.js';
import { RecordingBackend, range } from './helpers.js';

const failOn3 = (x: number) => {
  if (x === 3) throw new RangeError('three');
  return x;
};

async function drain<T>(it: AsyncIterable<T>) {
  const seen: T[] = [];
  const error = await (async () => {
    for await (const v of it) seen.push(v);
  })().catch((e: unknown) => e);
  return { seen, error };
}

/** A third-party backend that post-processes what batch.run() rejects with. */
class WrappingBackend extends RecordingBackend {
  constructor(private readonly wrap: (rejection: unknown) => unknown) {
    super({ workers: 2 });
  }
  override async submit(batch: TaskBatch, options: SubmitOptions): Promise<unknown[]> {
    try {
      return await super.submit(batch, options);
    } catch (rejection) {
      throw this.wrap(rejection);
    }
  }
}

describe('BatchFailure', () => {
  it('TaskBatch.run rejects with the failing task error and the values before it', async () => {
    const p = new Parallel({ nJobs: 2, backend: new WrappingBackend((r) => r), batchSize: 8 });
    const seen: unknown[] = [];
    const backend = p.backend as WrappingBackend;
    const original = backend.submit.bind(backend);
    backend.submit = async (batch, options) =>
      original(batch, options).catch((rejection: unknown) => {
        seen.push(rejection);
        throw rejection;
      });
    await expect(p.run(range(8).map((x) => delayed(failOn3)(x)))).rejects.toThrow('three');
    // preDispatch 4 on 2 workers: batches [0, 1] and [2, 3]; the second fails at task 3
    expect(seen[0]).toBeInstanceOf(BatchFailure);
    expect(Array.from((seen[0] as BatchFailure).completed)).toEqual([2]);
    expect((seen[0] as BatchFailure).error).toMatchObject({ message: 'three', taskIndex: 3 });
  });

  it('a backend that wraps it in its own error (as the cause) keeps the values; the caller gets its error', async () => {
    const backend = new WrappingBackend((r) => new Error('backend context', { cause: r }));
    const p = new Parallel({ nJobs: 2, backend, batchSize: 8 });
    const { seen, error } = await drain(p.iter(range(8).map((x) => delayed(failOn3)(x))));
    expect(seen).toEqual([0, 1, 2]);
    expect(error).toMatchObject({ message: 'backend context', taskIndex: 3 });
  });

  it('a backend that replaces it loses the values, and a warning says so', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const backend = new WrappingBackend((r) => (r instanceof BatchFailure ? r.error : r));
      backend.name = 'replacing';
      const p = new Parallel({ nJobs: 2, backend, batchSize: 8 });
      const { seen, error } = await drain(p.iter(range(8).map((x) => delayed(failOn3)(x))));
      // batch [2, 3] failed at task 3 without a BatchFailure: task 2's value is gone
      expect(seen).toEqual([0, 1]);
      expect(error).toMatchObject({ message: 'three', taskIndex: 3 });
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/backend 'replacing' .*without a BatchFailure/),
        'ParajobWarning',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('runSettled keeps the values before the failure and runs the rest', async () => {
    const p = new Parallel({ nJobs: 2, backend: new RecordingBackend(), batchSize: 8 });
    const settled = await p.runSettled(range(8).map((x) => delayed(failOn3)(x)));
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      ...Array(4).fill('fulfilled'),
    ]);
  });

  it('iter waits for earlier batches still running, and reports the earliest failing task', async () => {
    // task 5 fails at once; task 1 is slow and fails later: the caller sees 0 then task 1's error
    const slow = async (x: number) => {
      if (x === 5) throw new RangeError('five');
      if (x === 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new RangeError('one');
      }
      return x;
    };
    const p = new Parallel({ nJobs: 4, backend: new RecordingBackend({ workers: 4 }), batchSize: 1 });
    const { seen, error } = await drain(p.iter(range(8).map((x) => delayed(slow)(x))));
    expect(seen).toEqual([0]);
    expect(error).toMatchObject({ message: 'one', taskIndex: 1 });
  });
});

describe('isTaskError and taskIndexOf', () => {
  it('narrow a caught error to one with a taskIndex', async () => {
    const p = new Parallel({ nJobs: 1 });
    try {
      await p.run(range(5).map((x) => delayed(failOn3)(x)));
      expect.unreachable();
    } catch (e) {
      expect(isTaskError(e)).toBe(true);
      if (isTaskError(e)) {
        expectTypeOf(e.taskIndex).toEqualTypeOf<number>();
        expect(e.taskIndex).toBe(3);
      }
      expect(taskIndexOf(e)).toBe(3);
    }
    expect(isTaskError(new Error('x'))).toBe(false);
    expect(taskIndexOf('boom')).toBeUndefined();
  });
});

describe('registerErrorClass', () => {
  it('refuses what is not an Error class', () => {
    expect(() => registerErrorClass(class NotAnError {} as never)).toThrow(/extends Error/);
  });
});
