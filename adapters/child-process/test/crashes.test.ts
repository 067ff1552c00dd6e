import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Delayed, delayed, TaskTimeoutError, WorkerCrashedError } from '@parajob/core';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdownPools } from '../src/index.js';
import { livePools } from '../src/pools.js';
import { exhaustMemory, exitWith, killSelf, pid, pidAfter, throwInTimer } from './fixtures/tasks.mjs';
import { isAlive, parallel, someGone } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'parajob-crashes-'));
let files = 0;
/** A file for a crashing worker's stderr: its noise is checked there, not printed among the results. */
const stderrFile = () => join(scratch, `stderr-${files++}.txt`);

afterAll(async () => {
  await shutdownPools();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs two quick tasks then `crashing` (task 2), one task per batch; returns the rejection. */
async function crashOf(crashing: Delayed<unknown>, backendOptions = {}): Promise<WorkerCrashedError> {
  const error = await parallel({ batchSize: 1 }, backendOptions)
    .run([delayed(pid)(), delayed(pid)(), crashing])
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(WorkerCrashedError);
  return error as WorkerCrashedError;
}

async function nextCallWorks(backendOptions = {}): Promise<void> {
  const pids = await parallel({}, backendOptions).run([delayed(pid)(), delayed(pid)()]);
  expect(pids.every((p) => typeof p === 'number' && isAlive(p))).toBe(true);
}

describe('worker crashes', () => {
  it('process.exit(3) in a task: EXIT(3), the task index, then the next call works', async () => {
    const error = await crashOf(delayed(exitWith)(3));
    expect(error.exitReason).toBe('EXIT(3)');
    expect(error.taskIndex).toBe(2);
    expect(error.message).toContain('EXIT(3)');
    expect(error.message).toContain('task 2');
    await nextCallWorks();
  });

  it('SIGKILL: names the signal', async () => {
    const error = await crashOf(delayed(killSelf)('SIGKILL'));
    expect(error.exitReason).toBe('SIGKILL');
    expect(error.message).toContain('SIGKILL');
    expect(error.taskIndex).toBe(2);
    await nextCallWorks();
  });

  it('SIGSEGV (a native fault): names the signal', async () => {
    const error = await crashOf(delayed(killSelf)('SIGSEGV'));
    expect(error.exitReason).toBe('SIGSEGV');
    expect(error.message).toContain('SIGSEGV');
    expect(error.taskIndex).toBe(2);
    await nextCallWorks();
  });

  it('an error thrown in a timer, outside the task: EXIT(1), with that error as the cause', async () => {
    const stderr = stderrFile();
    const error = await crashOf(delayed(throwInTimer)('thrown from a timer', stderr));
    // the worker printed the error as Node would, into the file its stderr was sent to
    expect(readFileSync(stderr, 'utf8')).toMatch(/RangeError: thrown from a timer/);
    expect(error.exitReason).toBe('EXIT(1)');
    expect(error.taskIndex).toBe(2);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect((error.cause as Error).message).toBe('thrown from a timer');
    await nextCallWorks();
  });

  it('out of memory in a worker started with a small heap (execArgv): OUT_OF_MEMORY', async () => {
    const options = { execArgv: ['--max-old-space-size=32'] };
    const stderr = stderrFile();
    const error = await crashOf(delayed(exhaustMemory)(stderr), options);
    expect(readFileSync(stderr, 'utf8')).toMatch(/heap out of memory/);
    expect(error.exitReason).toBe('OUT_OF_MEMORY');
    expect(error.message).toContain('OUT_OF_MEMORY');
    expect(error.taskIndex).toBe(2);
    await nextCallWorks(options);
  });

  it('a worker that cannot start fails the call instead of hanging', async () => {
    // it exits while loading, before any task: quietly, unlike a bad flag whose error Node prints
    const exitAtStart = `data:text/javascript,process.exit(9)`;
    const error = await parallel({}, { execArgv: ['--import', exitAtStart] })
      .run([delayed(pid)()])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as WorkerCrashedError).exitReason).toMatch(/^EXIT\(\d+\)$/);
  });
});

describe('timeout and abort stop the worker', () => {
  it('a task over its timeout fails with TaskTimeoutError and its worker is killed and replaced', async () => {
    const before = await parallel({ batchSize: 1 }).run([delayed(pidAfter)(100), delayed(pidAfter)(100)]);
    const error = await parallel({ timeout: 400, batchSize: 1 })
      .run([delayed(pidAfter)(0), delayed(pidAfter)(60_000)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toMatchObject({ taskIndex: 1, timeoutMs: 400 });
    expect(await someGone(before)).toBe(true);
    const after = await parallel({ batchSize: 1 }).run([delayed(pidAfter)(100), delayed(pidAfter)(100)]);
    expect(after.every((p) => isAlive(p))).toBe(true);
  });

  it('the timeout counts from when the task starts, not from when its batch was queued', async () => {
    // 2 workers, 8 tasks of 400 ms: the last ones wait over 1 s in the queue but each runs well under the limit
    const values = await parallel({ timeout: 1200, batchSize: 1 }).run(
      Array.from({ length: 8 }, () => delayed(pidAfter)(400)),
    );
    expect(values).toHaveLength(8);
  });

  it('abort kills the worker running the call (only that one) and rejects with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const call = parallel({ signal: controller.signal, batchSize: 1 }).run([delayed(pidAfter)(60_000)]);
    const [other] = await parallel().run([delayed(pidAfter)(200)]);
    const workers = livePools().flatMap((pool) => pool.pids);
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(await someGone(workers)).toBe(true);
    expect(isAlive(other!)).toBe(true);
    expect(await parallel().run([delayed(pid)()])).toHaveLength(1);
  });
});
