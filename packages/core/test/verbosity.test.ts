import { describe, expect, it } from 'vitest';
import { AutoBatching } from '../src/backend-api.js';
import { delayed, Parallel } from '../src/index.js';
import { ProgressReporter, shortFormatTime, verbosityFilter } from '../src/progress.js';
import { RecordingBackend, range } from './helpers.js';

function capture(stream: 'stdout' | 'stderr') {
  const lines: string[] = [];
  const target = process[stream];
  const write = target.write;
  target.write = ((chunk: string) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof target.write;
  return { lines, restore: () => (target.write = write) };
}

describe('verbosity (joblib §1.8)', () => {
  it('formats time like short_format_time', () => {
    expect(shortFormatTime(0.8)).toBe('   0.8s');
    expect(shortFormatTime(12.345)).toBe('  12.3s');
    expect(shortFormatTime(90)).toBe(' 1.5min');
  });

  it('filters messages with gaps growing quadratically', () => {
    const printed = (verbose: number) => range(100).filter((i) => !verbosityFilter(i, verbose));
    expect(printed(11)).toHaveLength(100);
    expect(printed(10)).toEqual([0, 1, 4, 7, 12, 17, 24, 31, 40, 49, 60, 71, 84, 97]);
    expect(printed(1)).toEqual([0, 49]);
    expect(verbosityFilter(5, 0)).toBe(true);
  });

  it('prints joblib formats with nJobs in the prefix, to stderr under 50', async () => {
    const err = capture('stderr');
    try {
      await new Parallel({ nJobs: 2, verbose: 10, backend: new RecordingBackend() }).run(
        range(20).map((x) => delayed((v: number) => v)(x)),
      );
    } finally {
      err.restore();
    }
    expect(err.lines[0]).toBe('[Parallel(nJobs=2)]: Using backend recording with 2 concurrent workers.');
    expect(err.lines).toContain(
      err.lines.find((l) => /^\[Parallel\(nJobs=2\)\]: Done {2}1 out of 20 \| elapsed: {4}0\.0s$/.test(l)),
    );
    expect(err.lines.at(-1)).toMatch(
      /^\[Parallel\(nJobs=2\)\]: Done 20 out of 20 \| elapsed: +\d+\.\ds finished$/,
    );
    expect(err.lines.every((l) => l.startsWith('[Parallel(nJobs=2)]: '))).toBe(true);
  });

  it('uses the "tasks" form for inputs of unknown length, and stdout from verbose 50', async () => {
    const out = capture('stdout');
    function* gen() {
      for (let i = 0; i < 4; i++) yield delayed((v: number) => v)(i);
    }
    try {
      await new Parallel({ nJobs: 1, verbose: 50 }).run(gen());
    } finally {
      out.restore();
    }
    expect(out.lines[0]).toMatch(/^\[Parallel\(nJobs=1\)\]: Done {3}1 tasks {6}\| elapsed: {4}0\.0s$/);
    expect(out.lines.at(-1)).toMatch(/Done {3}4 out of {3}4 \| elapsed: +\d+\.\ds finished$/);
  });

  it('verbose 1 prints only the start and the end', async () => {
    const err = capture('stderr');
    try {
      await new Parallel({ nJobs: 2, verbose: 1, backend: new RecordingBackend() }).run(
        range(20).map((x) => delayed((v: number) => v)(x)),
      );
    } finally {
      err.restore();
    }
    expect(err.lines[0]).toMatch(/Using backend recording/);
    expect(err.lines.at(-1)).toMatch(/finished$/);
    expect(err.lines.length).toBeLessThanOrEqual(4);
  });

  it('reports remaining time once the input is exhausted', () => {
    const lines: string[] = [];
    const reporter = new ProgressReporter({
      verbose: 10,
      progress: false,
      onProgress: undefined,
      nJobsLabel: -1,
      knownLength: 10,
      preDispatch: 4,
      stderr: { write: (s: string) => lines.push(s) } as never,
    });
    reporter.update({
      completed: 5,
      dispatched: 10,
      dispatchedBatches: 10,
      inputExhausted: true,
      batchSize: 1,
      finished: false,
    });
    expect(lines[0]).toMatch(
      /^\[Parallel\(nJobs=-1\)\]: Done {2}5 out of 10 \| elapsed: +\d\.\ds remaining: +\d\.\ds\n$/,
    );
  });

  it('writes a progress line per tenth when stderr is not a terminal', () => {
    const lines: string[] = [];
    const reporter = new ProgressReporter({
      verbose: 0,
      progress: true,
      onProgress: undefined,
      nJobsLabel: 2,
      knownLength: 100,
      preDispatch: 4,
      stderr: { write: (s: string) => lines.push(s), isTTY: false } as never,
    });
    for (let done = 1; done <= 100; done++) {
      reporter.update({
        completed: done,
        dispatched: 100,
        dispatchedBatches: done,
        inputExhausted: false,
        batchSize: 1,
        finished: done === 100,
      });
    }
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines.at(-1)).toMatch(/progress: 100\/100 \(100%\)/);
  });

  it('draws a bar on a terminal', () => {
    const writes: string[] = [];
    const reporter = new ProgressReporter({
      verbose: 0,
      progress: true,
      onProgress: undefined,
      nJobsLabel: 2,
      knownLength: 4,
      preDispatch: 4,
      stderr: { write: (s: string) => writes.push(s), isTTY: true, columns: 80 } as never,
    });
    reporter.update({
      completed: 4,
      dispatched: 4,
      dispatchedBatches: 4,
      inputExhausted: true,
      batchSize: 1,
      finished: true,
    });
    expect(writes.at(-1)).toMatch(/^\r\[#+\] 100% 4\/4/);
  });

  it('reports auto-batching decisions at verbose >= 10', async () => {
    const err = capture('stderr');
    try {
      await new Parallel({ nJobs: 2, verbose: 10, backend: new RecordingBackend({ auto: true }) }).run(
        range(200).map((x) => delayed((v: number) => v)(x)),
      );
    } finally {
      err.restore();
    }
    expect(
      err.lines.some((l) => /Batch computation too fast \(\d+\.\d{4}s\.\) Setting batch_size=2\./.test(l)),
    ).toBe(true);
  });
});

describe('AutoBatching (joblib §1.7)', () => {
  it('doubles at most while batches are fast, shrinks when slow, resets on change', () => {
    const auto = new AutoBatching();
    expect(auto.computeBatchSize()).toBe(1);
    auto.batchCompleted(1, 1);
    expect(auto.computeBatchSize()).toBe(2);
    expect(auto.smoothedDurationMs).toBe(0);
    auto.batchCompleted(1, 1); // stale size: ignored
    expect(auto.smoothedDurationMs).toBe(0);
    auto.batchCompleted(2, 150);
    auto.batchCompleted(2, 150);
    // ideal = trunc(2 * 200 / 150) * 2 = 4, capped at doubling
    expect(auto.computeBatchSize()).toBe(4);
    auto.batchCompleted(4, 5000);
    // 2 * trunc(4 * 200 / 5000) = 0 → at least 1
    expect(auto.computeBatchSize()).toBe(1);
    auto.batchCompleted(1, 500);
    expect(auto.computeBatchSize()).toBe(1);
  });

  it('smooths with 0.8 / 0.2', () => {
    const auto = new AutoBatching();
    auto.batchCompleted(1, 1000);
    auto.batchCompleted(1, 500);
    expect(auto.smoothedDurationMs).toBeCloseTo(900);
  });

  it('has tunable ideal durations', () => {
    const auto = new AutoBatching({ minIdealBatchDurationMs: 10, maxIdealBatchDurationMs: 20 });
    auto.batchCompleted(1, 15);
    expect(auto.computeBatchSize()).toBe(1);
    expect(() => new AutoBatching({ minIdealBatchDurationMs: 5, maxIdealBatchDurationMs: 1 })).toThrow(
      RangeError,
    );
  });
});

describe('verbosity once the input is exhausted', () => {
  it('reports against the full total, and the last task only as finished', async () => {
    const err = capture('stderr');
    try {
      await new Parallel({ nJobs: 2, verbose: 5, batchSize: 1, backend: new RecordingBackend() }).run(
        range(40).map((x) => delayed((v: number) => v)(x)),
      );
    } finally {
      err.restore();
    }
    const remaining = err.lines.filter((l) => l.includes('remaining'));
    expect(remaining.length).toBeGreaterThan(0);
    for (const line of remaining) expect(line).toMatch(/out of 40 \| elapsed/);
    expect(err.lines.filter((l) => /Done 40 out of 40/.test(l))).toHaveLength(1);
    expect(err.lines.at(-1)).toMatch(/Done 40 out of 40 \| elapsed: +\d+\.\ds finished$/);
  });
});
