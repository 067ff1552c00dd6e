/**
 * One registry per process: two copies of @parajob/core (here the sources, and the built package
 * copied to another folder, as npm nests a second copy after a version drift) share registrations.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SequentialBackend } from '../src/backend-api.js';
import { IncompatibleCoreError, listBackends, registerBackend } from '../src/index.js';
import { createBackend, defaultBackendName, setDefaultBackend } from '../src/internal.js';

type Core = typeof import('../src/index.js');
type BackendApi = typeof import('../src/backend-api.js');
type Internal = typeof import('../src/internal.js');

const KEY = Symbol.for('parajob.registry');
const CORE = join(import.meta.dirname, '..');
let folder: string;
let other: Core;
let otherBackendApi: BackendApi;
let otherInternal: Internal;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'parajob-core-copy-'));
  const copy = join(folder, 'node_modules', '@parajob', 'core');
  cpSync(join(CORE, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(CORE, 'package.json'), join(copy, 'package.json'));
  other = (await import(pathToFileURL(join(copy, 'dist', 'index.js')).href)) as Core;
  otherInternal = (await import(pathToFileURL(join(copy, 'dist', 'internal.js')).href)) as Internal;
  otherBackendApi = (await import(pathToFileURL(join(copy, 'dist', 'backend-api.js')).href)) as BackendApi;
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the backend registry with two copies of @parajob/core', () => {
  it('the copies are different modules', () => {
    expect(other.registerBackend).not.toBe(registerBackend);
    expect(otherBackendApi.SequentialBackend).not.toBe(SequentialBackend);
  });

  it('a backend registered through one copy is created by the other', () => {
    other.registerBackend('from-other-copy', () => new otherBackendApi.SequentialBackend());
    expect(listBackends()).toContain('from-other-copy');
    const backend = createBackend('from-other-copy', {}, 2);
    expect(backend).toBeInstanceOf(otherBackendApi.SequentialBackend);
    expect(backend.nestingLevel).toBe(2);

    registerBackend('from-this-copy', () => new SequentialBackend());
    expect(other.listBackends()).toContain('from-this-copy');
  });

  it('shares the default backend', () => {
    const before = defaultBackendName();
    try {
      otherInternal.setDefaultBackend('from-other-copy');
      expect(defaultBackendName()).toBe('from-other-copy');
    } finally {
      setDefaultBackend(before);
    }
    expect(otherInternal.defaultBackendName()).toBe(before);
  });

  it('a copy with an incompatible registry version refuses with an error naming the other copy', () => {
    const global = globalThis as unknown as Record<symbol, { version: number; createdBy: string }>;
    const shared = global[KEY]!;
    // what a future copy of core (registry version 2) would have left: swap it in for this check
    const future = {
      ...shared,
      version: shared.version + 1,
      createdBy: 'file:///app/node_modules/x/core.js',
    };
    Object.defineProperty(global, KEY, { value: future, configurable: true });
    try {
      let caught: unknown;
      try {
        other.registerBackend('late', () => new otherBackendApi.SequentialBackend());
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(other.IncompatibleCoreError);
      const error = caught as IncompatibleCoreError;
      expect(error.otherCopy).toBe('file:///app/node_modules/x/core.js');
      expect(error.otherVersion).toBe(shared.version + 1);
      expect(error.message).toMatch(/two incompatible copies of @parajob\/core/);
      expect(error.message).toContain('file:///app/node_modules/x/core.js');
      expect(error.message).toContain('npm ls @parajob/core');
      expect(() => listBackends()).toThrow(IncompatibleCoreError);
    } finally {
      Object.defineProperty(global, KEY, { value: shared, configurable: true });
    }
    expect(listBackends()).toContain('from-other-copy');
  });
});
