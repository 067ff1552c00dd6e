/**
 * What every local backend promises the caller, in real processes: results finished before a
 * failure are delivered, every call settles around close(), shipped source behaves like the
 * caller's code, errors keep their class, calls share a pool fairly, stray async errors and
 * unsendable values fail only their own task or call. Each scenario runs on sequential (nJobs 1),
 * threads, worker-threads and child-process; each script must exit on its own with code 0 (13
 * would be an await that never settled).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/run-node.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/every-backend/', import.meta.url));
const BACKENDS = ['sequential', 'threads', 'worker-threads', 'child-process'] as const;

const runScript = (script: string, args: string[]) => runNode([script, ...args], { cwd: FIXTURES });

async function scenario(backend: string, name: string): Promise<unknown> {
  const out = await runScript('scenario.mjs', [backend, name]);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return JSON.parse(out.stdout);
}

const failure = { name: 'RangeError', message: 'three is not allowed (got 3)', taskIndex: 3 };
const closed = {
  value: null,
  error: { name: 'CallCancelledError', message: expect.stringMatching(/close\(\) was called/) },
};

describe.each(BACKENDS)('%s', (backend) => {
  it('iter yields every result before the failing task, then throws its error', async () => {
    expect(await scenario(backend, 'iter')).toEqual({ seen: [0, 1, 2], error: failure });
  });

  it('iterUnordered yields the results that finished before the failure', async () => {
    expect(await scenario(backend, 'iterUnordered')).toEqual({ seen: [0, 1, 2], error: failure });
  });

  it('runSettled reports every task', async () => {
    expect(await scenario(backend, 'runSettled')).toEqual([0, 1, 2, 'RangeError', 4, 5, 6, 7]);
  });

  it('close() during run() rejects it instead of resolving a short array', async () => {
    expect(await scenario(backend, 'closeRun')).toEqual(closed);
  });

  it('close() during runSettled() rejects it', async () => {
    expect(await scenario(backend, 'closeRunSettled')).toEqual(closed);
  });

  it('close() settles a pending iter() next() with a rejection', async () => {
    expect(await scenario(backend, 'closeIter')).toEqual(closed);
  });

  it('close() while the first call is still in configure() is safe and the call rejects', async () => {
    expect(await scenario(backend, 'closeConfigure')).toEqual({ call: closed, close: { error: null } });
  });

  it('runs shipped source in strict mode, as the caller runs it (a method called without its object throws)', async () => {
    expect(await scenario(backend, 'strictMode')).toEqual({
      value: null,
      error: { name: 'TypeError', message: expect.stringMatching(/reading 'factor'/), taskIndex: 0 },
    });
  });

  it('await import() works inside a shipped function', async () => {
    expect(await scenario(backend, 'dynamicImport')).toEqual({ value: [40, 40], error: null });
  });

  it('a shipped function that uses its enclosing scope says so (out of process) or just works (in process)', async () => {
    const out = await scenario(backend, 'closure');
    if (backend === 'sequential' || backend === 'threads') expect(out).toEqual({ value: [6], error: null });
    else
      expect(out).toEqual({
        value: null,
        error: {
          name: 'ReferenceError',
          message: expect.stringMatching(/uses 'factor', a variable of its enclosing scope/),
          taskIndex: 0,
        },
      });
  });

  it('errors keep their class when the task module exports it or it is registered', async () => {
    const out = (await scenario(backend, 'errorClasses')) as Record<string, unknown>;
    expect(out.exported).toEqual({
      quota: true,
      registered: false,
      error: true,
      name: 'QuotaError',
      message: 'over quota at 1',
      code: 'E_QUOTA',
      limit: 10,
      taskIndex: 1,
      stack: true,
      cause: { name: 'RangeError', quota: false },
    });
    expect(out.registered).toEqual({
      quota: false,
      registered: true,
      error: true,
      name: 'RegisteredError',
      message: 'registered at 1',
      taskIndex: 1,
      stack: true,
      cause: { name: 'QuotaError', quota: true },
    });
    // neither exported nor registered: today's behaviour, a plain Error with code and properties
    expect(out.local).toMatchObject({ error: true, message: 'local at 1', code: 'E_LOCAL', taskIndex: 1 });
  });

  it("a second instance's short call is not held behind a first instance's long call on the shared pool", async () => {
    const out = (await scenario(backend, 'fairness')) as Record<string, unknown>;
    expect(out.short).toEqual(['short']);
    expect(out.longDone).toBe(24);
    // first come, first served, the short call would wait for the ~22 long tasks queued before it;
    // taking turns it waits for a thread to free, i.e. a few of them at most
    expect(out.longTasksFinishedMeanwhile).toBeLessThan(8);
  });

  // in-process backends share the caller's process: a stray error there is the program's own
  it.runIf(backend === 'worker-threads' || backend === 'child-process')(
    "an error left behind by one call's task (timer, unawaited rejection) never fails the next call",
    async () => {
      const out = await runScript('scenario.mjs', [backend, 'strays']);
      expect(out.code).toBe(0);
      const ok = {
        a: { value: ['left', 'left', 'left', 'left'], error: null },
        b: { value: [0, 1, 2, 3], error: null },
      };
      expect(JSON.parse(out.stdout)).toEqual({ timer: ok, rejection: ok });
      // reported, not silently dropped
      expect(out.stderr).toMatch(/was thrown after its task had returned[\s\S]*stray timer error/);
    },
  );

  it('a result or error that cannot be sent fails its task clearly, and the next call works', async () => {
    const out = (await scenario(backend, 'exotic')) as Record<string, { failed: unknown; next: unknown }>;
    for (const kind of ['getter', 'proxy', 'symbol', 'errorGetter'])
      expect(out[kind]!.next).toEqual(['fine']);
    if (backend === 'worker-threads' || backend === 'child-process') {
      expect(out.getter!.failed).toMatchObject({ name: 'SerializationError', taskIndex: 0 });
      expect((out.getter!.failed as { message: string }).message).toMatch(/result\.x .*getter boom/);
    }
    expect(out.proxy!.failed).toMatchObject({ message: 'get boom', taskIndex: 0 });
    expect(out.errorGetter!.failed).toMatchObject({ message: 'error with a throwing getter', taskIndex: 0 });
  });
});

describe('worker-threads resourceLimits', () => {
  it('limits too small for a worker to start fail the call (or the constructor) with a clear error instead of hanging', async () => {
    expect(await scenario('worker-threads', 'tinyHeap')).toEqual({
      heap: {
        value: null,
        error: {
          name: 'Error',
          message: expect.stringMatching(/cannot start with resourceLimits .*Raise the limits/),
        },
      },
      stack: { name: 'RangeError', message: expect.stringMatching(/stackSizeMb 0.1 is too small/) },
    });
  });
});
