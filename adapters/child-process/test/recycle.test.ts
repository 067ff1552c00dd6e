import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delayed, WorkerCrashedError } from '@parajob/core';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdownPools } from '../src/index.js';
import { exhaustMemory, leak, pid } from './fixtures/tasks.mjs';
import { parallel } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'parajob-recycle-'));

afterAll(async () => {
  await shutdownPools();
  rmSync(scratch, { recursive: true, force: true });
});

describe('child-process recycling', () => {
  it('maxTasksPerWorker: a worker is replaced after that many tasks, between batches; every result arrives', async () => {
    const pids = await parallel({ batchSize: 1 }, { maxTasksPerWorker: 3 }).run(
      Array.from({ length: 12 }, () => delayed(pid)()),
    );
    expect(pids).toHaveLength(12);
    const perWorker = new Map<number, number>();
    for (const p of pids) perWorker.set(p, (perWorker.get(p) ?? 0) + 1);
    expect(perWorker.size).toBeGreaterThanOrEqual(4);
    expect(Math.max(...perWorker.values())).toBeLessThanOrEqual(3);
  });

  it('maxMemoryPerWorker: a leaking task never runs out of memory, its worker is replaced before', async () => {
    // 30 × 16 MB kept for good: far over 150 MB of RSS (and the 150 MB heap cap) without recycling
    const pids = await parallel({ batchSize: 1 }, { maxMemoryPerWorker: 150 }).run(
      Array.from({ length: 30 }, () => delayed(leak)(16)),
    );
    expect(pids).toHaveLength(30);
    expect(new Set(pids).size).toBeGreaterThan(2);
  });

  it('maxMemoryPerWorker: one task over it → WorkerCrashedError OUT_OF_MEMORY; the pool recovers', async () => {
    const p = parallel({ batchSize: 1 }, { maxMemoryPerWorker: 64 });
    // its heap-limit dump goes to a file, not among the test results
    const stderr = join(scratch, 'oom-stderr.txt');
    const error = await p.run([delayed(exhaustMemory)(stderr)]).catch((e: unknown) => e);
    // the message and stack say what came back instead, if it is not the crash
    expect(error, (error as Error)?.stack).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'OUT_OF_MEMORY', taskIndex: 0 });
    const pids = await parallel({ batchSize: 1 }, { maxMemoryPerWorker: 64 }).run([
      delayed(pid)(),
      delayed(pid)(),
    ]);
    expect(pids).toHaveLength(2);
  });

  it('rejects bad limits naming the option', async () => {
    const { ChildProcessBackend } = await import('../src/index.js');
    expect(() => new ChildProcessBackend({ maxTasksPerWorker: 0 })).toThrow(
      /maxTasksPerWorker must be a positive integer/,
    );
    expect(() => new ChildProcessBackend({ maxMemoryPerWorker: Number.NaN })).toThrow(/maxMemoryPerWorker/);
  });
});
