// Backend protocol 2 as core uses it (docs/writing-a-backend.md): who runs nJobs 1, what configure
// receives, the defaults of BackendBase, how nestingLevel arrives, and the two public entries.
import { describe, expect, it, vi } from 'vitest';
import {
  BackendBase,
  type BackendContext,
  cpuCount,
  SequentialBackend,
  type SubmitOptions,
  type TaskBatch,
} from '../src/backend-api.js';
import { delayed, Parallel, parallelConfig, registerBackend } from '../src/index.js';
import { DefaultsBackend, RecordingBackend, range } from './helpers.js';

const sq = (x: number) => x * x;
const squares = (n: number) => range(n).map((x) => delayed(sq)(x));
const CONTEXT: BackendContext = {
  maxNbytes: null,
  tempFolder: null,
  innerMaxNumThreads: null,
  verbose: 0,
  log() {},
};

/** A backend whose workers are elsewhere: nJobs 1 goes to a worker too. */
class RemoteLike extends BackendBase {
  readonly name = 'remote-like';
  readonly requests: number[] = [];
  override runsInCaller(): boolean {
    return false;
  }
  override async configure(requestedNJobs: number): Promise<number> {
    this.requests.push(requestedNJobs);
    return requestedNJobs < 0 ? 3 : requestedNJobs;
  }
  submit(batch: TaskBatch, options: SubmitOptions): Promise<unknown[]> {
    return batch.run({ signal: options.signal });
  }
}

describe('protocol 2: configure and runsInCaller', () => {
  it('configure receives what the user asked, not a resolved count', async () => {
    const backend = new RecordingBackend({ workers: 2 });
    const configure = vi.spyOn(backend, 'configure');
    await new Parallel({ nJobs: -2, backend }).run(squares(4));
    expect(configure.mock.calls[0]![0]).toBe(-2);
    const remote = new RemoteLike();
    await parallelConfig({ nJobs: -1 }, () => new Parallel({ backend: remote }).run(squares(4)));
    expect(remote.requests).toEqual([-1]);
  });

  it('two Parallels sharing one backend each configure it with their own request', async () => {
    const remote = new RemoteLike();
    const a = new Parallel({ nJobs: -1, backend: remote });
    const b = new Parallel({ nJobs: 2, backend: remote });
    const [x, y] = await Promise.all([a.run(squares(10)), b.run(squares(12))]);
    expect(x).toEqual(range(10).map(sq));
    expect(y).toEqual(range(12).map(sq));
    expect(remote.requests.sort()).toEqual([-1, 2]);
  });

  it('a backend that does not run nJobs 1 in the caller is configured with 1 and submitted to', async () => {
    const remote = new RemoteLike();
    const submit = vi.spyOn(remote, 'submit');
    expect(await new Parallel({ nJobs: 1, backend: remote }).run(squares(5))).toEqual(range(5).map(sq));
    expect(remote.requests).toEqual([1]);
    expect(submit).toHaveBeenCalled();
  });

  it('BackendBase runs nJobs 1 in the caller: no configure, no submit', async () => {
    const backend = new DefaultsBackend();
    const configure = vi.spyOn(backend, 'configure');
    expect(await new Parallel({ nJobs: 1, backend }).run(squares(5))).toEqual(range(5).map(sq));
    expect(configure).not.toHaveBeenCalled();
    expect(backend.submitted).toBe(0);
    expect(await new Parallel({ nJobs: 2, backend }).run(squares(5))).toEqual(range(5).map(sq));
    expect(backend.submitted).toBeGreaterThan(0);
  });
});

describe('protocol 2: the sequential backend', () => {
  it('runs every call in the caller with its own batch size (1, as joblib)', async () => {
    const backend = new SequentialBackend();
    const computeBatchSize = vi.spyOn(backend, 'computeBatchSize');
    const configure = vi.spyOn(backend, 'configure');
    const sizes: number[] = [];
    const out = await new Parallel({ nJobs: 4, backend, onProgress: (p) => sizes.push(p.batchSize) }).run(
      squares(300),
    );
    expect(out).toEqual(range(300).map(sq));
    expect(computeBatchSize).toHaveBeenCalled();
    expect(configure).not.toHaveBeenCalled();
    expect(new Set(sizes)).toEqual(new Set([1]));
    expect(backend.runsInCaller()).toBe(true);
    expect(() => backend.effectiveNJobs(0)).toThrow(RangeError);
    expect(backend.effectiveNJobs(-1)).toBe(1);
  });
});

describe('protocol 2: BackendBase defaults', () => {
  it('gives every flag and hook joblib’s default', async () => {
    const b = new DefaultsBackend();
    expect(b).toMatchObject({
      supportsSharedMem: false,
      supportsTimeout: false,
      usesThreads: false,
      supportsInnerMaxNumThreads: false,
      nestingLevel: 0,
    });
    expect(b.effectiveNJobs(-1)).toBe(cpuCount());
    expect(b.runsInCaller(1)).toBe(true);
    expect(b.runsInCaller(2)).toBe(false);
    expect(b.runsInCaller(-1)).toBe(false);
    expect(await b.configure(-1, CONTEXT)).toBe(cpuCount());
    expect(await b.configure(3, CONTEXT)).toBe(3);
    await expect(b.configure(0, CONTEXT)).rejects.toThrow(RangeError);
    await expect(b.terminate()).resolves.toBeUndefined();
    expect('abortEverything' in b).toBe(false);
  });
});

describe('protocol 2: nestingLevel arrives one way', () => {
  it('core sets it on backends it creates by name; the factory gets only the backend options', async () => {
    const seen: Array<Record<string, unknown>> = [];
    registerBackend('level-probe', (options) => {
      seen.push(options);
      return new DefaultsBackend();
    });
    const levels = await new Parallel({ nJobs: 2, backend: new DefaultsBackend() }).run([
      delayed(() => parallelConfig({ backend: 'level-probe' }, () => new Parallel().backend.nestingLevel))(),
    ]);
    expect(levels).toEqual([1]);
    expect(seen).toEqual([{}]);
  });
});

describe('protocol 2: outdated backends', () => {
  it('a backend object without runsInCaller is refused, naming what is missing and what to do', () => {
    const old = {
      name: 'old',
      supportsSharedMem: false,
      supportsTimeout: false,
      usesThreads: false,
      supportsInnerMaxNumThreads: false,
      nestingLevel: 0,
      effectiveNJobs: (n: number) => n,
      configure: async (n: number) => n,
      submit: async () => [],
      abortEverything: async () => {},
      terminate: async () => {},
    };
    expect(() => new Parallel({ backend: old as never })).toThrow(
      /backend 'old' does not implement the backend protocol \(missing runsInCaller\(\)\); extend BackendBase from '@parajob\/core\/backend'/,
    );
  });
});

describe('the public entries', () => {
  it('@parajob/core stays the user API; @parajob/core/backend has what backend authors need', async () => {
    const user = Object.keys(await import('../src/index.js'));
    for (const name of [
      'TaskBatch',
      'encodeBatch',
      'decodeResult',
      'runBatch',
      'AutoBatching',
      'SequentialBackend',
      'BackendBase',
      'localNJobs',
    ])
      expect(user, name).not.toContain(name);
    for (const name of ['Parallel', 'delayed', 'task', 'parallelConfig', 'registerBackend', 'cpuCount'])
      expect(user, name).toContain(name);
    const backend = Object.keys(await import('../src/backend-api.js'));
    for (const name of [
      'BackendBase',
      'TaskBatch',
      'encodeBatch',
      'decodeResult',
      'runBatch',
      'AutoBatching',
      'SequentialBackend',
      'nestedBackendOf',
      'serializeError',
      'deserializeError',
      'registerBackend',
      'localNJobs',
      'watchTaskTimeout',
      'explainUnsendableBatch',
      'explainUnsendableResult',
    ])
      expect(backend, name).toContain(name);
  });
});
