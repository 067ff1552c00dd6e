import { describe, expect, it } from 'vitest';
import { SequentialBackend } from '../src/backend-api.js';
import {
  delayed,
  effectiveNJobs,
  getActiveBackend,
  listBackends,
  Parallel,
  parallelConfig,
  registerBackend,
} from '../src/index.js';
import { RecordingBackend } from './helpers.js';

class FakeThreads extends RecordingBackend {
  override name = 'threads';
  override supportsSharedMem = true;
  override usesThreads = true;
}
class FakeProcesses extends RecordingBackend {
  override name = 'worker-threads';
}
class ParamBackend extends RecordingBackend {
  override name = 'param';
  constructor(readonly param: unknown) {
    super();
  }
}
registerBackend('threads', () => new FakeThreads());
registerBackend('worker-threads', () => new FakeProcesses(), { makeDefault: true });
registerBackend('param', (options) => new ParamBackend(options.param));

const backendOf = (p: Parallel) => p.backend.name;

describe('backend registry and active backend (joblib §2.3)', () => {
  it('lists registered backends and makes one the default', () => {
    expect(listBackends()).toEqual(['param', 'sequential', 'threads', 'worker-threads']);
    expect(getActiveBackend().backend.name).toBe('worker-threads');
    expect(getActiveBackend().nJobs).toBe(1);
  });

  it('parallelConfig sets the backend and nJobs for Parallels created inside, and restores after', async () => {
    await parallelConfig({ backend: 'threads', nJobs: 3 }, async () => {
      const active = getActiveBackend();
      expect(active.backend.name).toBe('threads');
      expect(active.nJobs).toBe(3);
      expect(effectiveNJobs(3)).toBe(3);
      expect(new Parallel().nJobs).toBe(3);
      expect(backendOf(new Parallel())).toBe('threads');
    });
    expect(backendOf(new Parallel())).toBe('worker-threads');
    expect(new Parallel().nJobs).toBe(1);
  });

  it('passes backend options to the factory', async () => {
    await parallelConfig({ backend: 'param', param: 42, nJobs: 3 }, async () => {
      const p = new Parallel();
      expect((p.backend as ParamBackend).param).toBe(42);
      expect(p.nJobs).toBe(3);
      expect(await p.run([1, 4, 9].map((x) => delayed(Math.sqrt)(x)))).toEqual([1, 2, 3]);
      // the same name given explicitly keeps the options of the config
      expect((new Parallel({ backend: 'param' }).backend as ParamBackend).param).toBe(42);
    });
  });

  it('accepts a backend instance directly', () => {
    const instance = new ParamBackend(43);
    parallelConfig({ backend: instance, nJobs: 5 }, () => {
      expect(getActiveBackend().backend).toBe(instance);
      expect(new Parallel().backend).toBe(instance);
      expect(new Parallel().nJobs).toBe(5);
    });
  });

  it('rejects unknown backends and misplaced backend options', () => {
    expect(() => parallelConfig({ backend: 'unit-testing' }, () => new Parallel())).toThrow(
      /backend 'unit-testing' is not registered/,
    );
    expect(() => parallelConfig({ param: 1 }, () => 0)).toThrow(
      /got backend options \(param\) but no backend/,
    );
    expect(() => parallelConfig({ innerMaxNumThreads: 1 }, () => 0)).toThrow(/no backend/);
    expect(() => parallelConfig({ backend: new ParamBackend(1), param: 1 }, () => 0)).toThrow(
      /with a backend instance/,
    );
    expect(() => parallelConfig({ nJobs: 0 }, () => 0)).toThrow(/parallelConfig: config\.nJobs == 0/);
    expect(() => parallelConfig({ prefer: 'wrong' as never }, () => 0)).toThrow(/config\.prefer must be/);
    expect(() => parallelConfig({ require: 'wrong' as never }, () => 0)).toThrow(/config\.require must be/);
    expect(() => parallelConfig({ backend: 'threads', innerMaxNumThreads: 1 }, () => new Parallel())).toThrow(
      /does not accept innerMaxNumThreads/,
    );
  });

  it('nests: inner values win, others are inherited; explicit nJobs null resets', () => {
    parallelConfig({ nJobs: 2 }, () => {
      expect(backendOf(new Parallel())).toBe('worker-threads');
      expect(new Parallel().nJobs).toBe(2);
    });
    parallelConfig({ backend: 'threads' }, () =>
      parallelConfig({ nJobs: 2 }, () => {
        expect(backendOf(new Parallel())).toBe('threads');
        expect(new Parallel().nJobs).toBe(2);
      }),
    );
    parallelConfig({ verbose: 100 }, () =>
      parallelConfig({ nJobs: 2 }, () => {
        expect(new Parallel().nJobs).toBe(2);
      }),
    );
    parallelConfig({ backend: 'threads', nJobs: 2 }, () =>
      parallelConfig({ backend: 'threads', nJobs: null }, () => {
        expect(new Parallel().nJobs).toBe(1);
      }),
    );
  });

  it('explicit Parallel options beat the config', () => {
    parallelConfig({ nJobs: 3, backend: 'threads' }, () => {
      const p = new Parallel({ nJobs: 2, backend: 'worker-threads' });
      expect(p.nJobs).toBe(2);
      expect(backendOf(p)).toBe('worker-threads');
    });
  });

  it('isolates concurrent async flows', async () => {
    const seen: Array<[string, number]> = [];
    const flow = (backend: string, nJobs: number, wait: number) =>
      parallelConfig({ backend, nJobs }, async () => {
        await new Promise((r) => setTimeout(r, wait));
        const p = new Parallel();
        seen.push([p.backend.name, p.nJobs]);
      });
    await Promise.all([flow('threads', 3, 10), flow('param', 5, 1)]);
    expect(seen.sort()).toEqual([
      ['param', 5],
      ['threads', 3],
    ]);
  });

  it('effectiveNJobs follows the active backend and the config', () => {
    expect(effectiveNJobs(1)).toBe(1);
    expect(effectiveNJobs(null)).toBe(1);
    expect(effectiveNJobs(5)).toBe(5);
    expect(effectiveNJobs(-1)).toBe(4);
    expect(effectiveNJobs(-2)).toBe(3);
    parallelConfig({ backend: 'threads', nJobs: 3 }, () => expect(effectiveNJobs(null)).toBe(3));
    parallelConfig({ backend: 'threads', nJobs: -1 }, () =>
      expect(effectiveNJobs(null)).toBe(effectiveNJobs(-1)),
    );
    expect(() => effectiveNJobs(0)).toThrow(RangeError);
  });
});

describe('prefer and require hints (joblib §2.4)', () => {
  it('choose a backend only when none was chosen', () => {
    expect(backendOf(new Parallel({ nJobs: 2 }))).toBe('worker-threads');
    expect(backendOf(new Parallel({ nJobs: 2, prefer: 'threads' }))).toBe('threads');
    expect(backendOf(new Parallel({ nJobs: 2, prefer: 'processes' }))).toBe('worker-threads');
    expect(backendOf(new Parallel({ nJobs: 2, require: 'sharedmem' }))).toBe('threads');
    expect(backendOf(new Parallel({ nJobs: 2, backend: 'worker-threads', prefer: 'threads' }))).toBe(
      'worker-threads',
    );
  });

  it('a config backend beats prefer; require beats the config and resets its nJobs', () => {
    parallelConfig({ backend: 'worker-threads', nJobs: 2 }, () => {
      expect(backendOf(new Parallel({ prefer: 'threads' }))).toBe('worker-threads');
      expect(new Parallel({ prefer: 'threads' }).nJobs).toBe(2);
      const shared = new Parallel({ require: 'sharedmem' });
      expect(backendOf(shared)).toBe('threads');
      expect(shared.nJobs).toBe(1);
      expect(new Parallel({ nJobs: 3, require: 'sharedmem' }).nJobs).toBe(3);
    });
    parallelConfig({ backend: 'threads' }, () => {
      expect(backendOf(new Parallel({ prefer: 'processes' }))).toBe('threads');
    });
    parallelConfig({ prefer: 'threads', nJobs: 2 }, () => {
      expect(backendOf(new Parallel())).toBe('threads');
    });
  });

  it('prints the switch notice on stdout at verbose >= 10', () => {
    const writes: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      parallelConfig(
        { backend: 'param', param: 1 },
        () => new Parallel({ require: 'sharedmem', verbose: 10 }),
      );
      parallelConfig(
        { backend: 'param', param: 1 },
        () => new Parallel({ prefer: 'processes', verbose: 10 }),
      );
    } finally {
      process.stdout.write = write;
    }
    expect(writes).toEqual([
      '[Parallel(nJobs=1)]: Using threads as parajob backend instead of param as the latter does not provide shared memory semantics.\n',
    ]);
  });

  it('an explicit backend without shared memory cannot satisfy require', () => {
    expect(() => new Parallel({ backend: 'worker-threads', require: 'sharedmem' })).toThrow(
      /does not share memory/,
    );
    expect(() => new Parallel({ backend: new SequentialBackend(), require: 'sharedmem' })).not.toThrow();
  });
});

describe('nesting (joblib §2.11)', () => {
  it('tasks of a pool backend see its nested backend: sequential one level deeper', async () => {
    const inside = () => {
      const { backend, nJobs } = getActiveBackend();
      return [backend.name, backend.nestingLevel, nJobs, effectiveNJobs(2)];
    };
    const out = await new Parallel({ nJobs: 2, backend: new RecordingBackend() }).run([delayed(inside)()]);
    expect(out).toEqual([['sequential', 1, 1, 1]]);
  });

  it('nJobs 1 leaves the caller config unchanged for nested calls', async () => {
    const inside = () => [getActiveBackend().backend.name, getActiveBackend().nJobs];
    expect(await new Parallel({ nJobs: 1 }).run([delayed(inside)()])).toEqual([['worker-threads', 1]]);
    await parallelConfig({ backend: 'threads', nJobs: 2 }, async () => {
      expect(await new Parallel({ nJobs: 1 }).run([delayed(inside)()])).toEqual([['threads', 2]]);
    });
  });

  it('a config opened inside a task has the nested level', async () => {
    const inside = () => parallelConfig({ nJobs: 2 }, () => getActiveBackend().backend.nestingLevel);
    expect(
      await new Parallel({ nJobs: 2, backend: new RecordingBackend() }).run([delayed(inside)()]),
    ).toEqual([1]);
    expect(parallelConfig({ nJobs: 2 }, () => getActiveBackend().backend.nestingLevel)).toBe(0);
  });

  it('recursion levels: pool, then sequential at 1, 2, ...', async () => {
    const levels: Array<[string, number]> = [];
    const recurse = async (depth: number): Promise<void> => {
      const p = new Parallel({ nJobs: 2 });
      levels.push([p.backend.name, p.backend.nestingLevel]);
      if (depth > 0) await p.run([delayed(recurse)(depth - 1)]);
    };
    await parallelConfig({ backend: new RecordingBackend(), nJobs: 2 }, () => recurse(2));
    expect(levels).toEqual([
      ['recording', 0],
      ['sequential', 1],
      ['sequential', 1],
    ]);
  });
});
