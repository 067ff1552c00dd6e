import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { taskRefOf } from '@parajob/core/internal';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { loadTarget, resolveModuleUrl, splitTarget } from '../src/target.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtureUrl = pathToFileURL(join(here, 'fixtures/tasks.mjs')).href;

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('splitTarget', () => {
  it('splits MODULE#EXPORT at the last #', () => {
    expect(splitTarget('./tasks.js#square')).toEqual({ module: './tasks.js', exportName: 'square' });
    expect(splitTarget('@scope/pkg/sub#fn')).toEqual({ module: '@scope/pkg/sub', exportName: 'fn' });
  });
  it('without #EXPORT it is the default export; a leading # is a subpath import', () => {
    expect(splitTarget('./tasks.js')).toEqual({ module: './tasks.js', exportName: 'default' });
    expect(splitTarget('#internal')).toEqual({ module: '#internal', exportName: 'default' });
    expect(splitTarget('#internal#fn')).toEqual({ module: '#internal', exportName: 'fn' });
  });
  it('refuses an empty export name with exit code 2', () => {
    expect(() => splitTarget('./tasks.js#')).toThrow(CliError);
    try {
      splitTarget('./tasks.js#');
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
    }
  });
});

describe('resolveModuleUrl', () => {
  it('resolves paths from the given directory, with or without ./', () => {
    expect(resolveModuleUrl('./fixtures/tasks.mjs', here)).toBe(fixtureUrl);
    expect(resolveModuleUrl('fixtures/tasks.mjs', here)).toBe(fixtureUrl);
    expect(resolveModuleUrl(join(here, 'fixtures/tasks.mjs'), '/')).toBe(fixtureUrl);
  });
  it('resolves package specifiers from the given directory', () => {
    expect(resolveModuleUrl('@parajob/core', here)).toMatch(/^file:.*core\/dist\/index\.js$/);
  });
  it('says where it looked when a module does not exist', () => {
    expect(() => resolveModuleUrl('./missing.js', here)).toThrow(
      /cannot find module '\.\/missing\.js'.*does not exist/,
    );
    expect(() => resolveModuleUrl('no-such-package-xyz', here)).toThrow(
      /cannot find module 'no-such-package-xyz'/,
    );
  });
});

describe('loadTarget', () => {
  it('registers a plain export with task() in a wrapper module that workers import', async () => {
    const fn = await loadTarget({ module: './fixtures/tasks.mjs', exportName: 'square' }, here);
    expect(fn(7)).toBe(49);
    const ref = taskRefOf(fn);
    expect(ref?.name).toBe('square');
    // not the user's module: workers call only functions a module registers itself
    expect(ref?.module).toMatch(/^file:.*parajob-map-.*\.mjs$/);
    expect(ref?.module).not.toBe(fixtureUrl);
  });
  it('keeps the reference of an export that is already a task', async () => {
    const fn = await loadTarget({ module: './fixtures/tasks.mjs', exportName: 'marked' }, here);
    expect(taskRefOf(fn)).toEqual({ module: fixtureUrl, name: 'markedDouble' });
  });
  it('a default export is registered as "default", the name workers look up', async () => {
    const fn = await loadTarget({ module: './fixtures/tasks.mjs', exportName: 'default' }, here);
    expect(taskRefOf(fn)?.name).toBe('default');
  });
  it('a missing export is exit 2 and lists the exports', async () => {
    const error = await failure(loadTarget({ module: './fixtures/tasks.mjs', exportName: 'cube' }, here));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/has no export 'cube'; its exports: .*square/);
  });
  it('an export that is not a function is exit 2', async () => {
    const error = await failure(
      loadTarget({ module: './fixtures/tasks.mjs', exportName: 'notAFunction' }, here),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/is a number, not a function/);
  });
});
