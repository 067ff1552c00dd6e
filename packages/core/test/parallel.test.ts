import { describe, expect, it, vi } from 'vitest';
import { CallCancelledError, delayed, Parallel } from '../src/index.js';
import { DefaultsBackend, deferred, RecordingBackend, range } from './helpers.js';

const sq = (x: number) => x * x;
const f = (x: number, y = 0, z = 0) => x ** 2 + y + z;

describe('results and arguments (joblib §2.1)', () => {
  it.each([1, 2, -1, -2])('nJobs %i returns squares in order', async (nJobs) => {
    for (const backend of ['sequential', new RecordingBackend()]) {
      expect(await new Parallel({ nJobs, backend }).run(range(5).map((x) => delayed(sq)(x)))).toEqual([
        0, 1, 4, 9, 16,
      ]);
    }
  });

  it('forwards extra arguments', async () => {
    for (const nJobs of [1, 2, 3]) {
      const out = await new Parallel({ nJobs, backend: new RecordingBackend() }).run(
        range(10).map((x) => delayed(f)(x, 1)),
      );
      expect(out).toEqual(range(10).map((x) => f(x, 1)));
    }
  });

  it('returns [] for an exhausted input', async () => {
    const it = [delayed(sq)(1)][Symbol.iterator]();
    it.next();
    expect(
      await new Parallel({ nJobs: 2, backend: new RecordingBackend() }).run({ [Symbol.iterator]: () => it }),
    ).toEqual([]);
  });

  it.each([
    [2, 2, 'all', 'auto'],
    [2, 2, 'nJobs', 'auto'],
    [10, 2, 'nJobs', 'auto'],
    [517, 2, 'nJobs', 'auto'],
    [10, 4, 'nJobs', 'auto'],
    [200, 12, 'nJobs', 'auto'],
    [25, 12, '2 * nJobs', 1],
    [250, 12, 'all', 1],
    [250, 12, '2 * nJobs', 7],
    [200, 12, '2 * nJobs', 'auto'],
  ] as const)(
    'dispatch combination n=%i nJobs=%i preDispatch=%s batchSize=%s',
    async (n, nJobs, preDispatch, batchSize) => {
      const backend = new RecordingBackend({ workers: nJobs, auto: true });
      const out = await new Parallel({ nJobs, backend, preDispatch, batchSize }).run(
        range(n).map((x) => delayed(sq)(x)),
      );
      expect(out).toEqual(range(n).map(sq));
    },
  );

  it('lets tasks mutate caller memory with in-process backends', async () => {
    const seen: number[] = [];
    await new Parallel({ nJobs: 2, backend: new RecordingBackend() }).run(
      range(5).map((x) => delayed((v: number) => seen.push(v))(x)),
    );
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('does not assume tasks are pure', async () => {
    const [a, b] = await new Parallel({ nJobs: 2, backend: new RecordingBackend() }).run([
      delayed(Math.random)(),
      delayed(Math.random)(),
    ]);
    expect(a).not.toBe(b);
  });

  it('rejects input that is not delayed calls, naming the task', async () => {
    await expect(new Parallel({ nJobs: 1 }).run([delayed(sq)(1), 42 as never])).rejects.toThrow(
      /task 1 is not a delayed call/,
    );
  });
});

describe('dispatch order and preDispatch (joblib §2.6)', () => {
  function logging(n: number, log: string[]) {
    return function* () {
      for (let i = 0; i < n; i++) {
        log.push(`P${i}`);
        yield delayed((x: number) => {
          log.push(`C${x}`);
          return x;
        })(i);
      }
    };
  }

  it('nJobs 1, batchSize 1 interleaves production and consumption', async () => {
    const log: string[] = [];
    await new Parallel({ nJobs: 1, batchSize: 1 }).run(logging(6, log)());
    expect(log).toEqual(['P0', 'C0', 'P1', 'C1', 'P2', 'C2', 'P3', 'C3', 'P4', 'C4', 'P5', 'C5']);
  });

  it('nJobs 1, batchSize 4 pulls four then runs four', async () => {
    const log: string[] = [];
    await new Parallel({ nJobs: 1, batchSize: 4 }).run(logging(6, log)());
    expect(log).toEqual(['P0', 'P1', 'P2', 'P3', 'C0', 'C1', 'C2', 'C3', 'P4', 'P5', 'C4', 'C5']);
  });

  it('nJobs 2, preDispatch 3 produces only 3 tasks before the first completes', async () => {
    const log: string[] = [];
    await new Parallel({ nJobs: 2, batchSize: 1, preDispatch: 3, backend: new RecordingBackend() }).run(
      logging(6, log)(),
    );
    expect(log[0]).toBe('P0');
    const firstConsumed = log.findIndex((e) => e.startsWith('C'));
    expect(firstConsumed).toBeLessThan(4);
    expect(log.indexOf('P3')).toBeGreaterThan(firstConsumed);
    expect(log).toHaveLength(12);
  });

  it('shrinks batches at the end of the input so the last workers do not starve', async () => {
    const backend = new RecordingBackend({ workers: 2 });
    await new Parallel({ nJobs: 2, batchSize: 10, preDispatch: 'all' }).run([]);
    await new Parallel({ nJobs: 2, batchSize: 10, backend }).run(range(105).map((x) => delayed(sq)(x)));
    const sizes = backend.batches.map((b) => b.size);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(105);
    expect(Math.min(...sizes.slice(-3))).toBeLessThan(10);
  });

  it('auto-batching grows the batch size for fast tasks, at most doubling', async () => {
    const backend = new RecordingBackend({ workers: 2, auto: true });
    const sizes: number[] = [];
    await new Parallel({ nJobs: 2, backend, onProgress: (p) => sizes.push(p.batchSize) }).run(
      range(2000).map((x) => delayed(sq)(x)),
    );
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeLessThanOrEqual(2 * sizes[i - 1]!);
  });

  it('consumes an infinite generator lazily with iter and break', async () => {
    let produced = 0;
    function* naturals() {
      for (let i = 0; ; i++) {
        produced++;
        yield delayed(sq)(i);
      }
    }
    const p = new Parallel({ nJobs: 2, backend: new RecordingBackend() });
    const got: number[] = [];
    for await (const v of p.iter(naturals())) {
      got.push(v);
      if (got.length === 50) break;
    }
    expect(got).toEqual(range(50).map(sq));
    expect(produced).toBeLessThan(10_000);
  });
});

describe('errors and abort (joblib §2.8)', () => {
  it('rejects with the first task error and its index', async () => {
    const div = (x: number, y: number) => {
      if (y === 0) throw new RangeError('division by zero');
      return x / y;
    };
    const error = await new Parallel({ nJobs: 2, backend: new RecordingBackend() })
      .run([delayed(div)(0, 1), delayed(div)(1, 0)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: 'division by zero', taskIndex: 1 });
  });

  it.each([0, 5, 19])(
    'an input iterator that throws at item %i rejects the call with that error',
    async (at) => {
      function* tasks() {
        for (let i = 0; i < 30; i++) {
          if (i === at) throw new TypeError('Iterator Raising Error');
          yield delayed(sq)(i);
        }
      }
      const p = new Parallel({ nJobs: 2, backend: new RecordingBackend() });
      for (let round = 0; round < 2; round++)
        await expect(p.run(tasks())).rejects.toThrow('Iterator Raising Error');
      await expect(new Parallel({ nJobs: 1 }).run(tasks())).rejects.toThrow('Iterator Raising Error');
    },
  );

  it('an error with preDispatch 16 over 30 tasks rejects (exception dispatch)', async () => {
    const failing = (x: number) => {
      if (x === 7) throw new Error('task 7 failed');
      return x;
    };
    await expect(
      new Parallel({ nJobs: 2, preDispatch: 16, backend: new RecordingBackend() }).run(
        range(30).map((x) => delayed(failing)(x)),
      ),
    ).rejects.toThrow('task 7 failed');
  });

  it('aborts the rest after the first error: queued tasks never start, running ones see the abort', async () => {
    let started = 0;
    const gate = deferred();
    const slow = async (x: unknown) => {
      started++;
      if (typeof x !== 'number') throw new TypeError('not a number');
      await gate.promise;
      return x;
    };
    const backend = new RecordingBackend();
    await expect(
      new Parallel({ nJobs: 2, backend, batchSize: 1 }).run(
        ['a', ...range(100)].map((x) => delayed(slow)(x)),
      ),
    ).rejects.toThrow(TypeError);
    gate.resolve();
    expect(started).toBeLessThan(10);
  });

  it('an aborted signal rejects with its reason and stops the call', async () => {
    const controller = new AbortController();
    let ran = 0;
    const p = new Parallel({
      nJobs: 2,
      backend: new RecordingBackend(),
      signal: controller.signal,
      batchSize: 1,
    });
    const call = p.run(
      range(50).map((x) =>
        delayed(async (v: number) => {
          ran++;
          if (v === 3) controller.abort(new Error('user stop'));
          await new Promise((r) => setTimeout(r, 5));
          return v;
        })(x),
      ),
    );
    await expect(call).rejects.toThrow('user stop');
    expect(ran).toBeLessThan(50);
    const aborted = new Parallel({ nJobs: 1, signal: AbortSignal.abort() });
    await expect(aborted.run([delayed(sq)(1)])).rejects.toThrow();
  });

  it('runSettled keeps going and reports each failure', async () => {
    const failing = (x: number) => {
      if (x % 3 === 0) throw new Error(`bad ${x}`);
      return x;
    };
    for (const nJobs of [1, 2]) {
      const out = await new Parallel({ nJobs, backend: new RecordingBackend(), batchSize: 4 }).runSettled(
        range(7).map((x) => delayed(failing)(x)),
      );
      expect(out.map((s) => s.status)).toEqual([
        'rejected',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      expect(out[3]).toMatchObject({ status: 'rejected', reason: { message: 'bad 3', taskIndex: 3 } });
    }
  });

  it('refuses nesting deeper than the limit instead of recursing forever', async () => {
    const recurse = async (): Promise<unknown> =>
      new Parallel({ nJobs: 2, backend: new RecordingBackend() }).run([delayed(recurse)()]);
    await expect(recurse()).rejects.toThrow(/nested 11 deep \(the limit is 10\)/);
  });

  it('a backend with no worker is an error', async () => {
    await expect(
      new Parallel({ nJobs: 2, backend: new RecordingBackend({ configureResult: 0 }) }).run([delayed(sq)(1)]),
    ).rejects.toThrow(/has no active worker/);
  });

  it('warns once that the sequential path ignores timeout', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const p = new Parallel({ nJobs: 1, timeout: 1000 });
    await p.run(range(50).map((x) => delayed(sq)(x)));
    await p.run(range(5).map((x) => delayed(sq)(x)));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/does not support timeout\. You have set 'timeout: 1000'/);
    warn.mockRestore();
  });
});

describe('generators (joblib §2.10)', () => {
  it('iter yields in submission order', async () => {
    for (const nJobs of [1, 2, 4]) {
      const out: number[] = [];
      for await (const v of new Parallel({ nJobs, backend: new RecordingBackend({ workers: nJobs }) }).iter(
        range(20).map((x) => delayed(sq)(x)),
      ))
        out.push(v);
      expect(out).toEqual(range(20).map(sq));
    }
  });

  it('iterUnordered yields the fastest first', async () => {
    const gate = deferred();
    const task = async (x: number) => {
      if (x === 1) await gate.promise;
      return x;
    };
    const out: number[] = [];
    for await (const v of new Parallel({
      nJobs: 2,
      batchSize: 1,
      backend: new RecordingBackend(),
    }).iterUnordered(range(10).map((x) => delayed(task)(x)))) {
      out.push(v);
      if (out.length === 9) gate.resolve();
    }
    expect(out.slice(0, 9).sort((a, b) => a - b)).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out[9]).toBe(1);
  });

  it('iterUnordered yields a batch at a time: batches in completion order, input order within one', async () => {
    // the promise of docs/design.md: a batch's results arrive together (a worker returns a whole batch)
    const gate = deferred();
    const task = async (x: number) => {
      if (x === 1) await gate.promise;
      return x;
    };
    const backend = new RecordingBackend();
    const out: number[] = [];
    const n = 12;
    for await (const v of new Parallel({ nJobs: 2, batchSize: 3, backend }).iterUnordered(
      range(n).map((x) => delayed(task)(x)),
    )) {
      out.push(v);
      const gated = backend.batches.find((b) => b.first <= 1 && 1 < b.first + b.size)!;
      if (out.length === n - gated.size) gate.resolve();
    }
    const gated = backend.batches.find((b) => b.first <= 1 && 1 < b.first + b.size)!;
    expect(gated.size).toBeGreaterThan(1);
    // task 0 finished long before but waited for task 1, its batch neighbour: the batch comes last, whole
    expect(out.slice(n - gated.size)).toEqual(range(gated.size).map((i) => gated.first + i));
    // every other batch arrives whole, in input order
    for (const b of backend.batches) {
      const at = out.indexOf(b.first);
      expect(out.slice(at, at + b.size)).toEqual(range(b.size).map((i) => b.first + i));
    }
  });

  it('a task error is raised while iterating', async () => {
    const failing = (x: number) => {
      if (x === 1) throw new Error('boom');
      return x;
    };
    const consume = async () => {
      for await (const _ of new Parallel({ nJobs: 2, backend: new RecordingBackend() }).iter(
        range(4).map((x) => delayed(failing)(x)),
      )) {
        // drain
      }
    };
    await expect(consume()).rejects.toThrow('boom');
  });

  it('one instance refuses a second call while its generator is alive; two instances coexist', async () => {
    const p = new Parallel({ nJobs: 2, backend: new RecordingBackend() });
    const a = p.iter(range(10).map((x) => delayed(sq)(x)));
    await a.next();
    await expect(p.run([delayed(sq)(1)])).rejects.toThrow(/already running/);
    const q = new Parallel({ nJobs: 2, backend: new RecordingBackend() });
    const b = q.iterUnordered(range(10).map((x) => delayed(sq)(x)));
    const rest: number[] = [];
    const fromB: number[] = [];
    for await (const v of b) fromB.push(v);
    for await (const v of a) rest.push(v);
    expect(rest).toEqual(range(10).map(sq).slice(1));
    expect(fromB.sort((x, y) => x - y)).toEqual(range(10).map(sq));
    expect(await p.run([delayed(sq)(3)])).toEqual([9]);
  });

  it('leaving a generator early cancels its running tasks and frees the instance', async () => {
    const backend = new RecordingBackend();
    const p = new Parallel({ nJobs: 2, backend, batchSize: 1 });
    const task = async (x: number) => {
      if (x > 0) {
        await new Promise((r) => setTimeout(r, 20));
      }
      return x;
    };
    for await (const v of p.iter(range(100).map((x) => delayed(task)(x)))) {
      expect(v).toBe(0);
      break;
    }
    expect(await p.run([delayed(sq)(2)])).toEqual([4]);
    expect(backend.batches.length).toBeLessThan(100);
    expect(backend.stopped).toHaveLength(2);
  });
});

describe('lifecycle', () => {
  it('configures the backend once per instance and terminates it on close', async () => {
    const backend = new RecordingBackend();
    const p = new Parallel({ nJobs: 2, backend });
    await p.run([delayed(sq)(1)]);
    await p.run([delayed(sq)(2)]);
    expect(backend.configured).toBe(1);
    expect(backend.stopped).toHaveLength(2);
    await p.close();
    expect(backend.terminated).toBe(1);
    await expect(p.run([delayed(sq)(1)])).rejects.toThrow(/was closed/);
  });

  it('works with await using', async () => {
    const backend = new RecordingBackend();
    {
      await using p = new Parallel({ nJobs: 2, backend });
      expect(await p.run([delayed(sq)(4)])).toEqual([16]);
    }
    expect(backend.terminated).toBe(1);
  });

  it('close() during a call rejects the pending next() with a CallCancelledError naming close()', async () => {
    const p = new Parallel({ nJobs: 2, backend: new RecordingBackend(), batchSize: 1 });
    const it = p.iter(range(100).map((x) => delayed(async (v: number) => v)(x)));
    await it.next();
    await p.close();
    let error: unknown;
    try {
      for (let i = 0; i < 200 && !(await it.next()).done; i++);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CallCancelledError);
    expect((error as Error).message).toMatch(/close\(\) was called/);
  });
});

describe('progress', () => {
  it('calls onProgress after every batch, also for nJobs 1, with total once known', async () => {
    const seen: Array<{ completed: number; total: number | null }> = [];
    function* gen() {
      for (let i = 0; i < 5; i++) yield delayed(sq)(i);
    }
    await new Parallel({
      nJobs: 1,
      batchSize: 1,
      onProgress: (p) => seen.push({ completed: p.completed, total: p.total }),
    }).run(gen());
    expect(seen.map((s) => s.completed)).toEqual([1, 2, 3, 4, 5]);
    expect(seen[0]!.total).toBeNull();
    const withArray: Array<number | null> = [];
    await new Parallel({
      nJobs: 2,
      backend: new RecordingBackend(),
      onProgress: (p) => withArray.push(p.total),
    }).run(range(6).map((x) => delayed(sq)(x)));
    expect(withArray.every((t) => t === 6)).toBe(true);
  });
});

describe('nJobs 1 with batchSize auto', () => {
  it('grows batches for fast tasks, at most doubling, and keeps order', async () => {
    const sizes: number[] = [];
    // a backend without a policy of its own: core's heuristic (sequential's own is joblib's 1)
    const backend = new DefaultsBackend();
    const out = await new Parallel({ nJobs: 1, backend, onProgress: (p) => sizes.push(p.batchSize) }).run(
      range(5000).map((x) => delayed(sq)(x)),
    );
    expect(out).toEqual(range(5000).map(sq));
    expect(sizes[0]).toBe(1);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeLessThanOrEqual(2 * sizes[i - 1]!);
  });
});

describe('results before a failure', () => {
  const failOn3 = (x: number) => {
    if (x === 3) throw new RangeError('three');
    return x;
  };
  const drain = async (it: AsyncIterable<number>) => {
    const seen: number[] = [];
    const error = await (async () => {
      for await (const v of it) seen.push(v);
    })().catch((e: unknown) => e);
    return { seen, error };
  };

  it('iter yields every result before the failing task that is done, then throws', async () => {
    for (const [nJobs, backend] of [
      [1, undefined],
      [2, new RecordingBackend()],
    ] as const) {
      const p = new Parallel({ nJobs, backend, batchSize: 8 });
      const { seen, error } = await drain(p.iter(range(8).map((x) => delayed(failOn3)(x))));
      expect(seen).toEqual([0, 1, 2]);
      expect(error).toMatchObject({ message: 'three', taskIndex: 3 });
    }
  });

  it('also for a batch that crossed the wire', async () => {
    const { decodeResult, encodeBatch, runBatch, TaskBatch } = await import('../src/backend-api.js');
    const { failAt } = await import('../src/testing/tasks.js');
    const b = new TaskBatch({
      callId: 'c',
      firstIndex: 0,
      tasks: range(5).map((x) => delayed(failAt)(x, 2)),
      nested: null,
      depth: 1,
      settle: false,
    });
    const error = await runBatch(encodeBatch(b)).then((r) => {
      try {
        decodeResult(b, r);
      } catch (e) {
        return e;
      }
    });
    const { BatchFailure } = await import('../src/errors.js');
    expect(error).toBeInstanceOf(BatchFailure);
    expect(Array.from((error as InstanceType<typeof BatchFailure>).completed)).toEqual([0, 1]);
    expect((error as InstanceType<typeof BatchFailure>).error).toMatchObject({ taskIndex: 2 });
  });
});

describe('callbacks', () => {
  it('a throwing onProgress fails the call with its error', async () => {
    const boom = new Error('progress callback failed');
    for (const nJobs of [1, 2]) {
      const p = new Parallel({
        nJobs,
        backend: new RecordingBackend(),
        onProgress: () => {
          throw boom;
        },
      });
      await expect(p.run(range(5).map((x) => delayed(sq)(x)))).rejects.toBe(boom);
    }
  });
});
