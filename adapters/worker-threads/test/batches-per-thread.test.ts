/**
 * batchesPerThread: several batches on one thread at once (a remote worker lends the slot of a
 * task waiting in get() to another batch). Every batch here can be aborted, which piscina's own
 * balancer keeps alone on its thread; the pool's balancer must still share the thread.
 */
import type { WireBatch } from '@parajob/core/backend';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(shutdownWorkerThreadsPools);

const CONTEXT = { maxNbytes: null, tempFolder: null, innerMaxNumThreads: null, verbose: 0, log: () => {} };

/** A one-task batch that resolves `value` once `release` holds a non-zero value, or after `ms`. */
const waiting = (value: string, release: SharedArrayBuffer, ms: number): WireBatch => ({
  v: 1,
  call: `call-${value}`,
  first: 0,
  size: 1,
  fns: [
    {
      name: 'waitFor',
      source: `async (value, release, ms) => {
        const flag = new Int32Array(release);
        const end = Date.now() + ms;
        while (Atomics.load(flag, 0) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
        Atomics.store(flag, 0, 1);
        return { value, released: Date.now() < end };
      }`,
    },
  ],
  fnOf: null,
  args: [[value, release, ms]],
  columnar: false,
  nested: null,
  depth: 1,
  settle: false,
});

const run = (backend: WorkerThreadsBackend, wire: WireBatch) =>
  backend.runWire(wire, { signal: new AbortController().signal, timeout: null }, { allowSource: true });

describe('batchesPerThread', () => {
  it('a second batch runs on the one thread while the first waits (the second releases the first)', async () => {
    const backend = new WorkerThreadsBackend({ batchesPerThread: 2 });
    expect(await backend.configure(1, CONTEXT)).toBe(1);
    const release = new SharedArrayBuffer(4);
    // the first waits up to 20 s for the flag; the second sets it at once: with one batch per
    // thread the second would start only after the first timed out
    const first = run(backend, waiting('first', release, 20_000));
    const second = run(backend, waiting('second', new SharedArrayBuffer(4), 0));
    const b = await second;
    Atomics.store(new Int32Array(release), 0, 1);
    const a = await first;
    expect(b.values).toEqual([{ value: 'second', released: false }]);
    expect(a.values).toEqual([{ value: 'first', released: true }]);
  }, 30_000);

  it('rejects a value that is not a whole number >= 1, naming the option', () => {
    expect(() => new WorkerThreadsBackend({ batchesPerThread: 0 })).toThrow(/options.batchesPerThread/);
    expect(() => new WorkerThreadsBackend({ batchesPerThread: 1.5 })).toThrow(RangeError);
  });
});
