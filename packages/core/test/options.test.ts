import { describe, expect, it } from 'vitest';
import { Parallel } from '../src/index.js';

const make = (options: Record<string, unknown>) => () => new Parallel(options as never);

describe('Parallel options are validated at construction', () => {
  it.each([
    [{ nJobs: 0 }, RangeError, /options\.nJobs == 0 has no meaning/],
    [{ nJobs: 1.5 }, RangeError, /options\.nJobs must be an integer.*got 1\.5/],
    [{ nJobs: 'abc' }, TypeError, /options\.nJobs must be an integer.*got "abc"/],
    [{ nJobs: Number.NaN }, TypeError, /options\.nJobs/],
    [{ batchSize: 0 }, RangeError, /options\.batchSize must be 'auto' or a positive integer, got 0/],
    [{ batchSize: -1 }, RangeError, /got -1/],
    [{ batchSize: 1.42 }, RangeError, /got 1\.42/],
    [{ batchSize: 'big' }, TypeError, /options\.batchSize/],
    [{ preDispatch: 'nJobs; rm -rf' }, RangeError, /options\.preDispatch must be .*unexpected/],
    [{ preDispatch: 0 }, RangeError, /options\.preDispatch/],
    [{ preDispatch: {} }, TypeError, /options\.preDispatch/],
    [{ prefer: 'gpu' }, RangeError, /options\.prefer must be 'processes', 'threads' or null, got "gpu"/],
    [{ require: 'locks' }, RangeError, /options\.require must be 'sharedmem' or null/],
    [{ prefer: 'processes', require: 'sharedmem' }, RangeError, /inconsistent/],
    [{ timeout: -1 }, RangeError, /options\.timeout must be a positive number of milliseconds/],
    [{ timeout: 0 }, RangeError, /options\.timeout/],
    [{ timeout: '10s' }, TypeError, /options\.timeout/],
    [{ maxNbytes: '1X' }, RangeError, /options\.maxNbytes must be .*'1M'/],
    [{ maxNbytes: -5 }, RangeError, /options\.maxNbytes/],
    [{ maxNbytes: {} }, TypeError, /options\.maxNbytes/],
    [{ verbose: -1 }, RangeError, /options\.verbose/],
    [{ progress: 'yes' }, TypeError, /options\.progress must be true or false/],
    [{ onProgress: 3 }, TypeError, /options\.onProgress must be a function/],
    [{ signal: {} }, TypeError, /options\.signal must be an AbortSignal/],
    [{ backend: 42 }, TypeError, /options\.backend must be a registered backend name/],
    [{ njobs: 2 }, TypeError, /options\.njobs is not an option of Parallel; did you mean 'nJobs'\?/],
    [{ backend: 'nope' }, Error, /backend 'nope' is not registered\. Registered backends: 'sequential'/],
    [{ backend: 'nats' }, Error, /Install @parajob\/nats/],
  ])('%j', (options, kind, message) => {
    expect(make(options)).toThrow(kind);
    expect(make(options)).toThrow(message);
  });

  it('accepts the documented forms', () => {
    for (const options of [
      { nJobs: -1 },
      { nJobs: 3, batchSize: 8, preDispatch: 'all' },
      { preDispatch: '3 * nJobs', maxNbytes: '500K' },
      { maxNbytes: null, timeout: 1000, verbose: true },
      { maxNbytes: 1024, tempFolder: '/tmp', progress: false },
      { nJobs: null, prefer: 'threads' },
    ]) {
      expect(() => new Parallel(options as never)).not.toThrow();
    }
    expect(String(new Parallel({ nJobs: 3 }))).toBe('Parallel(nJobs=3)');
  });
});
