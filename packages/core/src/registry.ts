/**
 * The backend registry: names to factories, and which one is the default.
 *
 * One registry per process, shared by every copy of @parajob/core: an app can end up with two
 * copies (an adapter resolving its own nested copy after a version drift), and a registry local to
 * one copy would make `import '@parajob/nats/register'` register into a registry that the caller's
 * `Parallel` never reads. The registry therefore lives on a global symbol, stamped with the
 * version of its shape: a copy whose version differs refuses to use it, with an error that names
 * the other copy, instead of mixing backends of incompatible protocols.
 */
import type { ParallelBackend } from './backend.js';
import { BackendUnavailableError, IncompatibleCoreError } from './errors.js';
import { messages } from './messages.js';

/** Builds a backend from the backend options given to `parallelConfig` (e.g. `{ servers }` for nats). */
export type BackendFactory = (options: Record<string, unknown>) => ParallelBackend;

/**
 * The version of the registry's shape and of the backend protocol it hands out. Bump it when a
 * change makes backends built against one copy of core unusable by another.
 */
export const REGISTRY_VERSION = 1;
const KEY = Symbol.for('parajob.registry');

interface Registry {
  readonly version: number;
  /** The module of the copy of @parajob/core that created the registry: named in errors. */
  readonly createdBy: string;
  readonly factories: Map<string, BackendFactory>;
  defaultName: string;
}

/** The process's registry, created by the first copy of core that needs it. */
function registry(): Registry {
  const global = globalThis as { [KEY]?: Registry };
  const existing = global[KEY];
  if (existing === undefined) {
    const created: Registry = {
      version: REGISTRY_VERSION,
      createdBy: import.meta.url,
      factories: new Map(),
      defaultName: 'sequential',
    };
    // not enumerable: it stays out of `Object.keys(globalThis)`-style leak checks
    Object.defineProperty(global, KEY, { value: created, enumerable: false, configurable: true });
    return created;
  }
  if (existing.version !== REGISTRY_VERSION) {
    throw new IncompatibleCoreError(
      messages.registry.incompatible(import.meta.url, REGISTRY_VERSION, existing.createdBy, existing.version),
      { version: REGISTRY_VERSION, otherVersion: existing.version, otherCopy: existing.createdBy },
    );
  }
  return existing;
}

export function registerBackend(
  name: string,
  factory: BackendFactory,
  options: { makeDefault?: boolean } = {},
): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('registerBackend(name, factory): name must be a non-empty string');
  if (typeof factory !== 'function')
    throw new TypeError(
      `registerBackend('${name}', factory): factory must be a function returning a ParallelBackend`,
    );
  const r = registry();
  r.factories.set(name, factory);
  if (options.makeDefault) r.defaultName = name;
}

/** Registered backend names, sorted. */
export function listBackends(): string[] {
  return [...registry().factories.keys()].sort();
}

export function isRegistered(name: string): boolean {
  return registry().factories.has(name);
}

export function defaultBackendName(): string {
  return registry().defaultName;
}

/** Makes `name` the default again (the parajob package does this at import; tests restore it). */
export function setDefaultBackend(name: string): void {
  assertRegistered(name);
  registry().defaultName = name;
}

export function assertRegistered(name: string): void {
  if (!registry().factories.has(name)) {
    throw new BackendUnavailableError(messages.backend.unknown(name, listBackends()), {
      backend: name,
      registered: listBackends(),
    });
  }
}

export function createBackend(
  name: string,
  options: Record<string, unknown>,
  nestingLevel: number,
): ParallelBackend {
  assertRegistered(name);
  const backend = registry().factories.get(name)!(options);
  backend.nestingLevel = nestingLevel;
  return backend;
}
