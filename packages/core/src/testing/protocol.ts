/**
 * Protocol 2's obligations, part of the conformance suite: what core relies on beyond running
 * tasks (docs/writing-a-backend.md, "The protocol").
 */

import { threadId } from 'node:worker_threads';
import { square, whereAmI } from '@parajob/core/testing/tasks';
import { describe, expect, it, vi } from 'vitest';
import type { BackendContext, ParallelBackend } from '../backend.js';
import { delayed, Parallel } from '../index.js';

const CONTEXT: BackendContext = {
  maxNbytes: null,
  tempFolder: null,
  innerMaxNumThreads: null,
  verbose: 0,
  log: () => {},
};

const squares = (n: number) => Array.from({ length: n }, (_, i) => delayed(square)(i));
const expected = (n: number) => Array.from({ length: n }, (_, i) => i * i);

/** `fresh()` gives a new instance each time and registers it for terminate() after the suite. */
export function describeProtocolObligations(name: string, fresh: () => ParallelBackend, nJobs: number): void {
  describe(`${name} protocol 2`, () => {
    it('declares its name, boolean capability flags and a nesting level', () => {
      const b = fresh();
      expect(typeof b.name).toBe('string');
      expect(b.name.length).toBeGreaterThan(0);
      for (const flag of [
        'supportsSharedMem',
        'supportsTimeout',
        'usesThreads',
        'supportsInnerMaxNumThreads',
      ])
        expect(typeof (b as unknown as Record<string, unknown>)[flag], flag).toBe('boolean');
      expect(Number.isSafeInteger(b.nestingLevel) && b.nestingLevel >= 0).toBe(true);
      expect(typeof b.runsInCaller(1)).toBe('boolean');
    });

    it('effectiveNJobs and configure refuse nJobs 0 with a RangeError', async () => {
      const b = fresh();
      expect(() => b.effectiveNJobs(0)).toThrow(RangeError);
      expect(b.effectiveNJobs(2)).toBeGreaterThanOrEqual(1);
      // configure may throw or reject; either way a RangeError
      const error = await (async () => b.configure(0, CONTEXT))().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RangeError);
    });

    it('configure gets what the user asked: -1 works and gives at least one worker', async () => {
      const b = fresh();
      const configure = vi.spyOn(b, 'configure');
      const p = new Parallel({ nJobs: -1, backend: b });
      expect(await p.run(squares(12))).toEqual(expected(12));
      if (!b.runsInCaller(-1)) {
        expect(configure).toHaveBeenCalledTimes(1);
        expect(configure.mock.calls[0]![0]).toBe(-1);
        expect(await configure.mock.results[0]!.value).toBeGreaterThanOrEqual(1);
      }
      await p.close();
    });

    it('nJobs 1 runs in the caller exactly when runsInCaller(1) says so', async () => {
      const b = fresh();
      const configure = vi.spyOn(b, 'configure');
      const submit = vi.spyOn(b, 'submit');
      const inCaller = b.runsInCaller(1);
      const [where] = await new Parallel({ nJobs: 1, backend: b }).run([delayed(whereAmI)()]);
      if (inCaller) {
        expect(where).toBe(`${process.pid}:${threadId}`);
        expect(configure).not.toHaveBeenCalled();
        expect(submit).not.toHaveBeenCalled();
      } else {
        expect(configure).toHaveBeenCalledWith(1, expect.anything());
        expect(submit).toHaveBeenCalled();
      }
    });

    it('two Parallels sharing one instance with different nJobs both get their results', async () => {
      const b = fresh();
      const configure = vi.spyOn(b, 'configure');
      const a = new Parallel({ nJobs: -1, backend: b });
      const c = new Parallel({ nJobs, backend: b });
      const [first, second] = await Promise.all([a.run(squares(20)), c.run(squares(30))]);
      expect(first).toEqual(expected(20));
      expect(second).toEqual(expected(30));
      const requests = configure.mock.calls.map((call) => call[0]).sort();
      if (!b.runsInCaller(-1) && !b.runsInCaller(nJobs)) expect(requests).toEqual([-1, nJobs].sort());
    });

    it('close() calls terminate() once the backend was configured', async () => {
      const b = fresh();
      const terminate = vi.spyOn(b, 'terminate');
      const p = new Parallel({ nJobs, backend: b });
      expect(await p.run(squares(4))).toEqual(expected(4));
      await p.close();
      if (!b.runsInCaller(nJobs)) expect(terminate).toHaveBeenCalledTimes(1);
    });
  });
}
