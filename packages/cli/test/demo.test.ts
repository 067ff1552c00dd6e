import { describe, expect, it } from 'vitest';
import { demo, demoTable } from '../src/commands/demo.js';
import { shortWorkloadNote, slowStarts } from '../src/demo-note.js';
import { countPrimesInRange, primeRanges } from '../src/demo-tasks.js';
import { memoryIo } from './helpers.js';

describe('the demo workload', () => {
  it('counts primes exactly', () => {
    expect(countPrimesInRange(0, 100)).toBe(25);
    expect(countPrimesInRange(0, 2)).toBe(0);
    expect(countPrimesInRange(2, 4)).toBe(2);
    expect(countPrimesInRange(90, 100)).toBe(1);
  });
  it('cuts [0, limit) into contiguous ranges whose counts add up', () => {
    const ranges = primeRanges(10_000, 7);
    expect(ranges).toHaveLength(7);
    expect(ranges[0]![0]).toBe(0);
    expect(ranges.at(-1)![1]).toBe(10_000);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    expect(ranges.reduce((n, [lo, hi]) => n + countPrimesInRange(lo, hi), 0)).toBe(1229);
  });
});

describe('demoTable', () => {
  it('shows wall time and speed-up against the first row, and failures', () => {
    const table = demoTable([
      { backend: 'sequential', workers: 1, wallMs: 4000, firstResultMs: 1, primes: 1229, error: null },
      { backend: 'worker-threads', workers: 2, wallMs: 2000, firstResultMs: 50, primes: 1229, error: null },
      {
        backend: 'child-process',
        workers: 2,
        wallMs: null,
        firstResultMs: null,
        primes: null,
        error: 'boom',
      },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^backend +workers +wall time +speed-up +primes +note$/);
    expect(lines[2]).toMatch(/^sequential +1 +4\.00 s +1\.00x +1,229 +nJobs 1/);
    expect(lines[3]).toMatch(/^worker-threads +2 +2\.00 s +2\.00x +1,229/);
    expect(lines[4]).toMatch(/^child-process +2 +failed +- +-/);
  });
});

describe('the short-workload note', () => {
  // 40 tasks of 10 ms: 400 ms sequentially, 200 ms per worker on 2 workers
  const sequential = { backend: 'sequential', workers: 1, wallMs: 400, firstResultMs: 10 };

  it('names the backends whose start-up reached the per-worker time', () => {
    const runs = [
      sequential,
      { backend: 'worker-threads', workers: 2, wallMs: 260, firstResultMs: 60 }, // ~50 ms start-up
      { backend: 'child-process', workers: 2, wallMs: 450, firstResultMs: 260 }, // ~250 ms start-up
      { backend: 'threads', workers: 2, wallMs: 400, firstResultMs: 10 },
    ];
    expect(slowStarts(runs, 40)).toEqual([{ backend: 'child-process', startupMs: 250 }]);
    const note = shortWorkloadNote(runs, 40, true)!;
    expect(note).toMatch(/too short to show the speed-ups: it takes 0\.40 s sequentially/);
    expect(note).toMatch(/child-process ~0\.25 s/);
    expect(note).toMatch(/without --quick/);
  });

  it('says nothing when every start-up is short against the workload, or a run failed', () => {
    const runs = [sequential, { backend: 'worker-threads', workers: 2, wallMs: 260, firstResultMs: 60 }];
    expect(shortWorkloadNote(runs, 40, true)).toBeNull();
    const failed = [sequential, { backend: 'child-process', workers: 2, wallMs: null, firstResultMs: null }];
    expect(shortWorkloadNote(failed, 40, true)).toBeNull();
  });
});

describe('demo', () => {
  it('refuses a backend that is not registered, listing the ones that are', async () => {
    await expect(demo(['--quick', '--backends', 'nope'], memoryIo())).rejects.toMatchObject({
      name: 'UsageError',
      command: 'demo',
      message: expect.stringMatching(/'nope' is not a registered backend/),
    });
  });
  it('--help prints the usage', async () => {
    const io = memoryIo();
    expect(await demo(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: parajob demo/);
  });
});
