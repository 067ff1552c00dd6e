/** Policy, limits and cancellation against real worker processes. */
import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { square } from '@parajob/core/testing/tasks';
import { afterAll, describe, expect, it } from 'vitest';
import { GrpcBackend } from '../src/index.js';
import { bytes, double, spinFor } from './fixtures/tasks.mjs';
import { startWorkerProcess, stopAllWorkers } from './helpers.js';

const strict = await startWorkerProcess({ concurrency: 1, maxMessageBytes: 64 * 1024 });
const open = await startWorkerProcess({ concurrency: 1, allowSource: true });
afterAll(stopAllWorkers);

const on = (address: string, options: Partial<ConstructorParameters<typeof GrpcBackend>[0]> = {}) =>
  new Parallel({ nJobs: -1, backend: new GrpcBackend({ workers: [address], ...options }) });

describe('worker policy over the wire', () => {
  it('runs task modules of the project the worker was started in (the default --allow)', async () => {
    expect(await on(strict.address).run([1, 2, 3].map((x) => delayed(double)(x)))).toEqual([2, 4, 6]);
  });

  it('refuses a package module no --allow pattern matches, saying which flag to use', async () => {
    await expect(on(strict.address).run([delayed(square)(2)])).rejects.toThrow(
      /refuses the module '@parajob\/core\/testing\/tasks' \(rule: not allowed\)[\s\S]*--allow @parajob\/core/,
    );
  });

  it('refuses functions shipped as source unless started with --allow-source', async () => {
    await expect(on(strict.address).run([delayed((x: number) => x + 1)(1)])).rejects.toThrow(
      /--allow-source/,
    );
    expect(await on(open.address).run([1, 2].map((x) => delayed((y: number) => y + 1)(x)))).toEqual([2, 3]);
  });
});

describe('message size limits', () => {
  it('refuses a batch over the driver limit before sending, naming the tasks and the option', async () => {
    const error = await on(open.address, { maxMessageBytes: 1024 })
      .run([delayed(double)(new Uint8Array(4096) as unknown as number)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(
      /tasks 0\.\.0: their batch is \d+ bytes once serialized, over the message limit of 1024 bytes[\s\S]*maxMessageBytes/,
    );
  });

  it("uses the worker's smaller limit from Hello, and the worker refuses results over it", async () => {
    const big = new Uint8Array(100 * 1024) as unknown as number;
    await expect(on(strict.address).run([delayed(double)(big)])).rejects.toThrow(
      /over the message limit of 65536 bytes \(worker /,
    );
    await expect(on(strict.address).run([delayed(bytes)(100 * 1024)])).rejects.toThrow(
      /the results of batch \d+ are .* over this worker's message limit/,
    );
  });
});

describe('cancellation', () => {
  it('an aborted call stops its task on the worker, whose slot serves the next call', async () => {
    const controller = new AbortController();
    const reason = new Error('enough');
    const aborted = new Parallel({
      nJobs: -1,
      signal: controller.signal,
      backend: new GrpcBackend({ workers: [open.address] }),
    }).run([delayed(spinFor)(60_000)]);
    setTimeout(() => controller.abort(reason), 300);
    await expect(aborted).rejects.toBe(reason);
    // the only slot of that worker is free again only if the 60 s task was stopped there
    expect(await on(open.address).run([delayed(double)(21)])).toEqual([42]);
  });
});

describe('shutdown', () => {
  it('after --shutdown-grace, a running batch is handed back: its driver fails it (or retries it) and the worker exits 0', async () => {
    const worker = await startWorkerProcess({ concurrency: 1, shutdownGraceMs: 0 });
    const backend = new GrpcBackend({ workers: [worker.address] });
    const running = new Parallel({ nJobs: -1, backend }).run([delayed(spinFor)(60_000)]);
    const failed = running.catch((error: unknown) => error);
    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    setTimeout(() => worker.child.kill('SIGTERM'), 300);
    expect(await failed).toBeInstanceOf(WorkerCrashedError);
    expect(await exited).toBe(0);
    await backend.terminate();
  });
});
