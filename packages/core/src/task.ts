/**
 * `task(moduleUrl, fn)` marks a function as importable by workers: a worker imports `moduleUrl`,
 * where the same `task()` call registers `fn` under `moduleUrl#name`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { looksLikeBundle } from './bundle.js';
import { messages } from './messages.js';

export interface TaskRef {
  /** file: URL of the defining module. */
  readonly module: string;
  readonly name: string;
}

/**
 * One registry per thread, shared by every copy of this module loaded in it: a loader such as tsx
 * can load @parajob/core a second time for the task modules it compiles, and the runtime calls
 * only functions registered with task(), so both copies must see the same registrations.
 */
interface Registry {
  readonly refs: WeakMap<Function, TaskRef>;
  readonly byKey: Map<string, Function>;
}
const REGISTRY = Symbol.for('parajob.task-registry');
const registry: Registry = ((globalThis as { [REGISTRY]?: Registry })[REGISTRY] ??= {
  refs: new WeakMap(),
  byKey: new Map(),
});
const { refs, byKey } = registry;

/** Set by worker runtimes while they import a task module (the entry-script trap of DESIGN §3). */
const importing = new AsyncLocalStorage<string>();

export function normalizeModuleUrl(moduleUrl: unknown): string {
  if (typeof moduleUrl !== 'string' || moduleUrl.length === 0)
    throw new TypeError(messages.task.badModule(moduleUrl));
  if (moduleUrl.startsWith('file:')) return new URL(moduleUrl).href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl) && !/^[a-z]:[\\/]/i.test(moduleUrl)) {
    throw new TypeError(messages.task.badModule(moduleUrl));
  }
  if (!moduleUrl.startsWith('/') && !/^[a-z]:[\\/]/i.test(moduleUrl))
    throw new TypeError(messages.task.badModule(moduleUrl));
  return pathToFileURL(moduleUrl).href;
}

const stripExtension = (url: string) => url.replace(/\.(?:[cm]?[jt]sx?)$/, '');

function entryScriptUrl(): string | undefined {
  if (!isMainThread || process.env.PARAJOB_WORKER) return undefined;
  const main = process.argv[1];
  if (!main) return undefined;
  try {
    return pathToFileURL(resolve(main)).href;
  } catch {
    return undefined;
  }
}

/**
 * Marks `fn` as a task that workers can import. Returns `fn` itself, so
 * `export const work = task(import.meta.url, function work(x) {...})` keeps its type.
 */
export function task<F extends Function>(moduleUrl: string, fn: F, options: { name?: string } = {}): F {
  if (typeof fn !== 'function') throw new TypeError(messages.task.badFn(fn));
  const module = normalizeModuleUrl(moduleUrl);
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError(messages.task.noName());
  const entry = entryScriptUrl();
  if (entry !== undefined && stripExtension(entry) === stripExtension(module)) {
    const file = fileURLToPath(module);
    throw new Error(
      looksLikeBundle(module) ? messages.task.bundled(name, file) : messages.task.entryScript(name, file),
    );
  }
  const key = `${module}#${name}`;
  const existing = byKey.get(key);
  if (existing !== undefined && existing !== fn) throw new Error(messages.task.duplicate(key));
  byKey.set(key, fn);
  refs.set(fn, { module, name });
  return fn;
}

export function taskRefOf(fn: Function): TaskRef | undefined {
  return refs.get(fn);
}

export function lookupTask(module: string, name: string): Function | undefined {
  return byKey.get(`${module}#${name}`);
}

/** Runs `load` (an import of a task module) marked so that a Parallel call inside it fails at once. */
export function importingTaskModule<T>(moduleUrl: string, load: () => Promise<T>): Promise<T> {
  return importing.run(moduleUrl, load);
}

/** The task module being imported by this async flow, if any. */
export function taskModuleBeingImported(): string | undefined {
  return importing.getStore();
}
