/** The backend registry: names to factories, and which one is the default. */
import type { ParallelBackend } from './backend.js';
import { BackendUnavailableError } from './errors.js';
import { messages } from './messages.js';

/** Builds a backend from the backend options given to `parallelConfig` (e.g. `{ servers }` for nats). */
export type BackendFactory = (options: Record<string, unknown>) => ParallelBackend;

const factories = new Map<string, BackendFactory>();
let defaultName = 'sequential';

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
  factories.set(name, factory);
  if (options.makeDefault) defaultName = name;
}

/** Registered backend names, sorted. */
export function listBackends(): string[] {
  return [...factories.keys()].sort();
}

export function isRegistered(name: string): boolean {
  return factories.has(name);
}

export function defaultBackendName(): string {
  return defaultName;
}

/** Makes `name` the default again (the parajob package does this at import; tests restore it). */
export function setDefaultBackend(name: string): void {
  assertRegistered(name);
  defaultName = name;
}

export function assertRegistered(name: string): void {
  if (!factories.has(name)) {
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
  const backend = factories.get(name)!(options);
  backend.nestingLevel = nestingLevel;
  return backend;
}
