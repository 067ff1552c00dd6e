import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { delayed, task } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const dist = new URL('../dist/backend-api.js', import.meta.url).href;

describe('task()', () => {
  it('validates its arguments', () => {
    expect(() => task('relative/path.js', () => 1)).toThrow(/moduleUrl must be import\.meta\.url/);
    expect(() => task(import.meta.url, 42 as never)).toThrow(/fn must be a function/);
    expect(() =>
      task(
        import.meta.url,
        (
          () => () =>
            1
        )(),
      ),
    ).toThrow(/fn has no name/);
    const fn = task(import.meta.url, (x: number) => x, { name: 'named' });
    expect(delayed(fn)(1).fn).toBe(fn);
    expect(() => task(import.meta.url, (x: number) => x + 1, { name: 'named' })).toThrow(/defined twice/);
    expect(() => task(fileURLToPath(import.meta.url), function byPath() {})).not.toThrow();
  });

  it('fails at once in the entry script, telling the user to move the task', () => {
    const run = spawnSync(process.execPath, [fixture('entry-defines-task.mjs')], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      /task 'work' is defined in the program's entry script .*entry-defines-task\.mjs.*Move the task into its own module/s,
    );
    expect(run.stdout).not.toMatch(/unreachable/);
  });

  it('recognises a bundle as the entry script and says how to bundle task modules', () => {
    const run = spawnSync(process.execPath, [fixture('bundled-entry.mjs')], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      /task 'work' is defined in the program's entry script .*bundled-entry\.mjs.*which is a bundle/s,
    );
    expect(run.stderr).toMatch(/its own entry point .*keepNames.*docs\/bundling\.md/s);
    expect(run.stderr).not.toMatch(/Move the task into its own module/);
    expect(run.stdout).not.toMatch(/unreachable/);
  });

  it('a Parallel call while a worker imports a task module fails at once, explaining why', async () => {
    const { runBatch } = (await import(dist)) as typeof import('../src/backend-api.js');
    const module = new URL('./fixtures/side-effect-tasks.mjs', import.meta.url).href;
    const result = await runBatch({
      v: 1,
      call: 'c',
      first: 0,
      fns: [{ name: 'double', module }],
      fnOf: null,
      size: 1,
      columnar: false,
      args: [[1]],
      nested: null,
      depth: 1,
      settle: false,
    });
    expect(result.error?.error.message).toMatch(
      /a Parallel call was started while a worker was importing the task module .*side-effect-tasks\.mjs/,
    );
    const clean = new URL('./fixtures/clean-tasks.mjs', import.meta.url).href;
    expect(
      await runBatch({
        v: 1,
        call: 'c',
        first: 0,
        fns: [{ name: 'triple', module: clean }],
        fnOf: null,
        size: 1,
        columnar: false,
        args: [[2]],
        nested: null,
        depth: 1,
        settle: false,
      }),
    ).toEqual({
      values: [6],
      runMs: expect.any(Number),
    });
  });
});
