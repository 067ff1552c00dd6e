/**
 * What a program's start loads: a program on worker threads — and each of its workers, whose task
 * modules import parajob — must not load the child-process backend's engine (forking, pools,
 * shared-buffer files), which only a child-process call needs (docs/benchmarks.md, cold start).
 * Node's ESM debug log names every module it translates, in every thread.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../fixtures/start-path/main.mjs', import.meta.url));

/** Runs the fixture on `backend`; returns its results and the URLs of the modules it translated. */
function start(backend: string): { results: unknown; modules: string[] } {
  const run = spawnSync(process.execPath, [main, backend], {
    encoding: 'utf8',
    env: { ...process.env, NODE_DEBUG: 'esm' },
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const modules = [...run.stderr.matchAll(/Translating StandardModule (\S+)/g)].map((m) => m[1] as string);
  return { results: JSON.parse(run.stdout.trim()), modules };
}

describe('start path', () => {
  it('a program on worker threads never loads the child-process engine; a child-process call does', () => {
    const threads = start('worker-threads');
    expect(threads.results).toEqual([1, 4, 9, 16]);
    // the fixture's task module is translated in the program and in each worker: the log covers them
    expect(
      threads.modules.filter((url) => url.endsWith('/start-path/tasks.mjs')).length,
    ).toBeGreaterThanOrEqual(2);
    // the adapter's index only (parajob registers it), in the program and in the workers
    const childProcess = threads.modules.filter((url) => url.includes('child-process/dist/'));
    expect(childProcess.length).toBeGreaterThanOrEqual(2);
    expect(childProcess.filter((url) => !url.endsWith('child-process/dist/index.js'))).toEqual([]);
    const processes = start('child-process');
    expect(processes.results).toEqual([1, 4, 9, 16]);
    expect(processes.modules.some((url) => url.endsWith('child-process/dist/engine.js'))).toBe(true);
  });
});
