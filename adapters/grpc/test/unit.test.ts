import { fileURLToPath, pathToFileURL } from 'node:url';
import { getActiveBackend, parallelConfig } from '@parajob/core';
import { describe, expect, it } from 'vitest';
import { ModulePolicy, patternMatcher } from '../src/allow.js';
import { GrpcBackend, parseListen, register } from '../src/index.js';
import { ModuleNamer } from '../src/module-ref.js';
import { PACKAGE_ROOT } from './helpers.js';

describe('--listen', () => {
  it('binds a bare port to loopback, any other host only when written', () => {
    expect(parseListen('50051')).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('0.0.0.0:7000')).toEqual({ host: '0.0.0.0', port: 7000 });
    expect(parseListen('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(() => parseListen('host')).toThrow(/--listen must be PORT or HOST:PORT/);
    expect(() => parseListen('1:2:3')).toThrow(RangeError);
    expect(() => parseListen('70000')).toThrow(RangeError);
  });
});

describe('--allow patterns', () => {
  it('matches globs per segment, ** across, and a plain name with its subpaths', () => {
    expect(patternMatcher('./**')('./src/a/b.js')).toBe(true);
    expect(patternMatcher('./src/*')('./src/a/b.js')).toBe(false);
    expect(patternMatcher('./src/*')('./src/a.js')).toBe(true);
    expect(patternMatcher('@acme/tasks')('@acme/tasks/heavy')).toBe(true);
    expect(patternMatcher('@acme/tasks')('@acme/tasks-evil')).toBe(false);
    expect(patternMatcher('@acme/*')('@acme/x')).toBe(true);
  });
});

describe('worker module policy', () => {
  const policy = new ModulePolicy({
    root: PACKAGE_ROOT,
    allow: ['./**', '@parajob/core/testing/tasks'],
    allowSource: false,
  });
  const resolve = (module: string) => policy.resolveModule({ name: 'f', module });

  it('resolves allowed project paths and packages under the root', () => {
    expect(resolve('./test/fixtures/tasks.mjs')).toBe(
      pathToFileURL(`${PACKAGE_ROOT}/test/fixtures/tasks.mjs`).href,
    );
    expect(resolve('@parajob/core/testing/tasks')).toMatch(/^file:.*\/core\/dist\/testing\/tasks\.js$/);
  });

  it('refuses built-ins, absolute paths, URLs, escapes and modules no pattern allows', () => {
    expect(() => resolve('node:child_process')).toThrow(/built-in/);
    expect(() => resolve('child_process')).toThrow(/built-in/);
    expect(() => resolve('/etc/passwd')).toThrow(/never by absolute path or URL/);
    expect(() => resolve('data:text/javascript,1')).toThrow(/never by absolute path or URL/);
    expect(() => resolve('./../../../etc/passwd')).toThrow(/leaves the worker's --root/);
    expect(() => resolve('@parajob/core')).toThrow(/no --allow pattern matches it/);
    expect(() => resolve('./missing.js')).toThrow(/cannot find the module/);
  });

  it('refuses source-shipped functions without --allow-source', () => {
    expect(() => policy.checkSource({ name: 'inline', source: '(x) => x' })).toThrow(/--allow-source/);
  });
});

describe('module names on the wire (driver)', () => {
  it('names project modules relative to the root and package modules by their exports subpath', () => {
    const namer = new ModuleNamer(PACKAGE_ROOT);
    expect(namer.name(pathToFileURL(`${PACKAGE_ROOT}/test/fixtures/tasks.mjs`).href)).toBe(
      './test/fixtures/tasks.mjs',
    );
    const coreTasks = fileURLToPath(import.meta.resolve('@parajob/core/testing/tasks'));
    expect(namer.name(pathToFileURL(coreTasks).href)).toBe('@parajob/core/testing/tasks');
    const unexported = coreTasks.replace(/testing\/tasks\.js$/, 'wire.js');
    expect(() => namer.name(pathToFileURL(unexported).href)).toThrow(/does not export \.\/dist\/wire\.js/);
  });
});

describe('GrpcBackend options', () => {
  it('validates options and names the one at fault', () => {
    expect(() => new GrpcBackend({} as never)).toThrow(/options\.workers must be a non-empty array/);
    expect(() => new GrpcBackend({ workers: ['nohost'] })).toThrow(/not 'host:port'/);
    expect(() => new GrpcBackend({ workers: ['h:1'], retries: -1 })).toThrow(/options\.retries/);
    expect(() => new GrpcBackend({ workers: ['h:1'], maxMessageBytes: 0 })).toThrow(
      /options\.maxMessageBytes/,
    );
    expect(() => new GrpcBackend({ workers: ['h:1'], tls: { cert: 'x' } })).toThrow(/cert and key/);
    expect(() => new GrpcBackend({ workers: ['h:1'], worker: 1 } as never)).toThrow(
      /options\.worker is not an option/,
    );
    expect(() => new GrpcBackend({ workers: ['h:1'] }).effectiveNJobs(0)).toThrow(RangeError);
  });

  it("registers as 'grpc' and receives parallelConfig's backend options", () => {
    register();
    const active = parallelConfig({ backend: 'grpc', workers: ['127.0.0.1:50051'], retries: 2 }, () =>
      getActiveBackend(),
    );
    expect(active.backend).toBeInstanceOf(GrpcBackend);
    expect(active.backend.name).toBe('grpc');
  });
});
