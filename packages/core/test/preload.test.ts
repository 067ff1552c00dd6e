import { describe, expect, it } from 'vitest';

const internal = new URL('../dist/internal.js', import.meta.url).href;

const batchOf = (fns: Array<{ name: string; module: string }>) => ({
  v: 1 as const,
  call: 'c',
  first: 0,
  fns,
  fnOf: null,
  size: 1,
  columnar: false,
  args: [[1]],
  nested: null,
  depth: 1,
  settle: false,
});

describe('preloadFunctions (worker start)', () => {
  it('imports the task modules of a batch and leaves a failure for runBatch to report', async () => {
    const { preloadFunctions, lookupTask } = (await import(internal)) as typeof import('../src/internal.js');
    const module = new URL('./fixtures/preload-tasks.mjs', import.meta.url).href;
    const missing = new URL('./fixtures/no-such-module.mjs', import.meta.url).href;
    expect(lookupTask(module, 'quadruple')).toBeUndefined();
    await expect(
      preloadFunctions(
        batchOf([
          { name: 'quadruple', module },
          { name: 'gone', module: missing },
        ]),
      ),
    ).resolves.toBeUndefined();
    expect(lookupTask(module, 'quadruple')?.(2)).toBe(8);
  });
});
