import { listBackends } from '@parajob/core';
import { nestedBackendOf } from '@parajob/core/backend';
import { register, WorkerThreadsBackend } from '@parajob/worker-threads';
import { describe, expect, it, vi } from 'vitest';

describe('WorkerThreadsBackend options', () => {
  it('accepts its options and reports its capabilities', () => {
    const backend = new WorkerThreadsBackend({
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      idleTimeout: 1000,
      maxTasksPerWorker: 100,
      maxMemoryPerWorker: 256,
    });
    // core sets the nesting level of the backends it creates; it is not an option
    backend.nestingLevel = 2;
    expect(backend).toMatchObject({
      name: 'worker-threads',
      nestingLevel: 2,
      supportsTimeout: true,
      supportsSharedMem: false,
      usesThreads: false,
    });
    expect(nestedBackendOf(backend)).toMatchObject({
      backend: { name: 'sequential', nestingLevel: 3 },
      nJobs: null,
    });
  });

  it('rejects bad options with messages naming the option', () => {
    expect(() => new WorkerThreadsBackend({ idleTimout: 5 } as never)).toThrow(
      /'idleTimout' is not an option; did you mean 'idleTimeout'/,
    );
    expect(() => new WorkerThreadsBackend({ idleTimeout: -1 })).toThrow(RangeError);
    expect(() => new WorkerThreadsBackend({ idleTimeout: -1 })).toThrow(/options.idleTimeout/);
    expect(() => new WorkerThreadsBackend({ idleTimeout: 1, idleTimeoutMs: 1 })).toThrow(/not both/);
    expect(() => new WorkerThreadsBackend({ maxTasksPerWorker: 0 })).toThrow(/options.maxTasksPerWorker/);
    expect(() => new WorkerThreadsBackend({ maxTasksPerWorker: 1.5 })).toThrow(RangeError);
    expect(() => new WorkerThreadsBackend({ maxMemoryPerWorker: -5 })).toThrow(/options.maxMemoryPerWorker/);
    expect(() => new WorkerThreadsBackend({ nestingLevel: 1 } as never)).toThrow(
      /'nestingLevel' is not an option/,
    );
    expect(() => new WorkerThreadsBackend({ resourceLimits: { maxOldGenerationSizeMb: 0 } })).toThrow(
      /options.resourceLimits.maxOldGenerationSizeMb must be a positive number/,
    );
    expect(() => new WorkerThreadsBackend({ resourceLimits: { heapMb: 10 } as never })).toThrow(
      /resourceLimits.heapMb is not a worker resource limit/,
    );
    expect(() => new WorkerThreadsBackend('fast' as never)).toThrow(TypeError);
  });

  it("accepts the old spelling 'idleTimeoutMs' with one deprecation warning", async () => {
    // caught here, so the deliberate warning does not print in the test output
    const emitted = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      new WorkerThreadsBackend({ idleTimeoutMs: 10 });
      new WorkerThreadsBackend({ idleTimeoutMs: 10 });
      expect(emitted.mock.calls.map(([w]) => String(w))).toEqual([
        expect.stringMatching(/now spelled 'idleTimeout'/),
      ]);
    } finally {
      emitted.mockRestore();
    }
  });

  it('maps nJobs like joblib: negative counts from the CPU count, 0 is an error', () => {
    const backend = new WorkerThreadsBackend();
    expect(backend.effectiveNJobs(3)).toBe(3);
    expect(backend.effectiveNJobs(-1)).toBeGreaterThanOrEqual(1);
    expect(backend.effectiveNJobs(-1000)).toBe(1);
    expect(() => backend.effectiveNJobs(0)).toThrow(RangeError);
  });

  it('registers as worker-threads', () => {
    register();
    expect(listBackends()).toContain('worker-threads');
  });
});
