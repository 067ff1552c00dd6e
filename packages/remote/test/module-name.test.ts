import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModuleNamer } from '../src/module-name.js';
import { WorkerPolicy } from '../src/policy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CORE_TASKS = fileURLToPath(import.meta.resolve('@parajob/core/testing/tasks'));

describe('module names on the wire (driver)', () => {
  const namer = new ModuleNamer(ROOT);

  it('names project modules relative to the root and package modules by their exports subpath', () => {
    expect(namer.name(pathToFileURL(`${ROOT}/test/project.ts`).href)).toBe('./test/project.ts');
    expect(namer.name(pathToFileURL(CORE_TASKS).href)).toBe('@parajob/core/testing/tasks');
  });

  it('refuses to name what a worker could not import, saying why', () => {
    const unexported = CORE_TASKS.replace(/testing\/tasks\.js$/, 'wire.js');
    expect(() => namer.name(pathToFileURL(unexported).href)).toThrow(/does not export \.\/dist\/wire\.js/);
  });

  it('every name it gives resolves to the same file on a worker with the same root', () => {
    const policy = new WorkerPolicy({ root: ROOT, allow: ['.', '@parajob/core'] });
    for (const file of [`${ROOT}/test/project.ts`, CORE_TASKS]) {
      const url = pathToFileURL(file).href;
      expect(policy.resolve(namer.name(url))).toBe(url);
    }
  });
});
