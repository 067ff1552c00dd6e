import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleResolver, toRemoteModule } from '../src/module-ref.js';

const CORE_TASKS = fileURLToPath(import.meta.resolve('@parajob/core/testing/tasks'));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('task module references', () => {
  it('the driver names a package module by package name and path, never by its absolute path', () => {
    expect(toRemoteModule(pathToFileURL(CORE_TASKS).href)).toBe('@parajob/core/dist/testing/tasks.js');
  });

  it('the worker resolves allowed packages from its root and refuses the rest with a clear message', () => {
    const resolve = moduleResolver({ root: ROOT, allow: ['@parajob/*'] });
    expect(resolve({ name: 'square', module: '@parajob/core/dist/testing/tasks.js' })).toMatch(
      /^file:.*packages\/core\/dist\/testing\/tasks\.js$/,
    );
    const strict = moduleResolver({ root: ROOT });
    expect(() => strict({ name: 'square', module: '@parajob/core/dist/testing/tasks.js' })).toThrow(
      /refuses task 'square' from module '@parajob\/core\/dist\/testing\/tasks.js'.*--allow "@parajob\/core"/,
    );
  });

  it('the worker never imports absolute paths, URLs, builtins or paths leaving a package', () => {
    const resolve = moduleResolver({ root: ROOT, allow: ['*'] });
    for (const module of [
      '/etc/passwd',
      'file:///etc/passwd',
      'node:child_process/x.js',
      'data:text/javascript,1',
      '@parajob/core/../../../etc/passwd',
      './../x.js',
    ]) {
      expect(() => resolve({ name: 'f', module })).toThrow(/refuses task 'f'/);
    }
  });
});
