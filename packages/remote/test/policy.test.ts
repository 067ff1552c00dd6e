import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RefusedError, WorkerPolicy } from '../src/policy.js';
import { makeProject } from './project.js';

const project = makeProject();
afterAll(() => project.remove());

function refusal(policy: WorkerPolicy, name: unknown): RefusedError {
  try {
    policy.resolve(name);
  } catch (error) {
    expect(error).toBeInstanceOf(RefusedError);
    return error as RefusedError;
  }
  throw new Error(`${String(name)} was accepted`);
}

describe('WorkerPolicy, default flags (deny by default)', () => {
  const policy = new WorkerPolicy({ root: project.root });
  const url = (rel: string) => pathToFileURL(`${project.root}/${rel}`).href;

  it('resolves a module of the project, without importing it', () => {
    expect(policy.resolve('./src/tasks.js')).toBe(url('src/tasks.js'));
    expect(policy.resolve('app/src/tasks.js')).toBe(url('src/tasks.js'));
  });

  it.each([
    ['./node_modules/evil/index.js', 'node-modules'],
    ['./src/../node_modules/evil/index.js', 'segments'],
    ['./src//tasks.js', 'segments'],
    ['./src/./tasks.js', 'segments'],
    ['evil', 'not-allowed'],
    ['evil/index.js', 'not-allowed'],
    ['@acme/tasks', 'not-allowed'],
    ['/etc/passwd', 'absolute'],
    ['file:///etc/passwd', 'url'],
    ['data:text/javascript,1', 'url'],
    ['node:child_process', 'builtin'],
    ['child_process', 'builtin'],
    ['fs/promises', 'builtin'],
    ['.\\src\\tasks.js', 'malformed'],
    ['./src/tasks.js\0', 'malformed'],
    ['', 'malformed'],
    ['./src/leak.js', 'escapes'],
    ['./src/evil-link.js', 'node-modules'],
    ['./src/missing.js', 'not-found'],
    ['../outside/secret.js', 'malformed'],
  ])('refuses %j (rule %s), naming the rule', (name, rule) => {
    const error = refusal(policy, name);
    expect(error.rule).toBe(rule);
    expect(error.code).toBe('PARAJOB_REFUSED');
    expect(error.message).toMatch(/\(rule: /);
  });

  it('refuses non-strings', () => {
    expect(refusal(policy, 42).rule).toBe('malformed');
    expect(refusal(policy, undefined).rule).toBe('malformed');
  });

  it('names the flag that would allow a package', () => {
    expect(refusal(policy, 'evil').message).toContain('--allow evil');
  });

  it('refuses source functions unless --allow-source', () => {
    expect(() => policy.checkSource('f')).toThrow(/--allow-source/);
    expect(() => new WorkerPolicy({ root: project.root, allowSource: true }).checkSource('f')).not.toThrow();
  });
});

describe('WorkerPolicy with --allow', () => {
  const policy = new WorkerPolicy({ root: project.root, allow: ['@acme/*', 'evil'] });
  const pkg = (rel: string) => pathToFileURL(`${project.root}/node_modules/${rel}`).href;

  it('resolves allowed packages through their exports map', () => {
    expect(policy.resolve('@acme/tasks')).toBe(pkg('@acme/tasks/dist/index.js'));
    expect(policy.resolve('@acme/tasks/jobs/a')).toBe(pkg('@acme/tasks/dist/jobs/a.js'));
    expect(policy.resolve('evil')).toBe(pkg('evil/index.js'));
    expect(policy.resolve('evil/index.js')).toBe(pkg('evil/index.js'));
  });

  it.each([
    ['@acme/tasks/dist/hidden.js', 'not-exported'],
    ['@acme/tasks/jobs/leak', 'escapes'],
    ['@acme/tasks/../../evil/index.js', 'segments'],
    ['evil/../../../etc/passwd', 'segments'],
    ['evil/node_modules/x/index.js', 'node-modules'],
    ['./src/tasks.js', 'not-allowed'],
    ['other', 'not-allowed'],
  ])('refuses %j (rule %s)', (name, rule) => {
    expect(refusal(policy, name).rule).toBe(rule);
  });
});

describe('WorkerPolicy flags', () => {
  it('names --root when it is unusable', () => {
    expect(() => new WorkerPolicy({ root: '/missing/dir' })).toThrow(/--root \/missing\/dir/);
  });
  it('names --allow for entries that are paths', () => {
    expect(() => new WorkerPolicy({ root: project.root, allow: ['./src/**'] })).toThrow(/--allow/);
    expect(() => new WorkerPolicy({ root: project.root, allow: ['../x'] })).toThrow(/--allow/);
  });
});
