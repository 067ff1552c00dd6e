/** Every batch in flight listens for its call's abort: many batches must not look like a leak. */
import { describe, expect, it } from 'vitest';
import { delayed, Parallel } from '../src/index.js';
import { RecordingBackend } from './helpers.js';

describe("the call's abort signal", () => {
  it('takes a listener per batch in flight without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const parallel = new Parallel({
        backend: new RecordingBackend({ workers: 16 }),
        nJobs: 16,
        batchSize: 1,
      });
      const slow = (x: number) => new Promise<number>((resolve) => setTimeout(() => resolve(x), 20));
      const results = await parallel.run(Array.from({ length: 48 }, (_, i) => delayed(slow)(i)));
      expect(results).toHaveLength(48);
      // process warnings are emitted on a later tick
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});
