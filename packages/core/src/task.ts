/**
 * `task(moduleUrl, fn)` marks a function as importable by workers: a worker imports `moduleUrl`,
 * where the same `task()` call registers `fn` under `moduleUrl#name`.
 */
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

/**
 * Task modules that worker runtimes are importing now, with how many imports of each are in flight
 * (the entry-script trap of DESIGN §3). Not an AsyncLocalStorage: on Node 20 running one turns
 * promise hooks on for the rest of the thread, and a worker's first import of its task modules —
 * which makes many promises — then costs about a third more CPU, at every worker's start.
 */
const importing = new Map<string, number>();

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
export async function importingTaskModule<T>(moduleUrl: string, load: () => Promise<T>): Promise<T> {
  importing.set(moduleUrl, (importing.get(moduleUrl) ?? 0) + 1);
  try {
    return await load();
  } finally {
    const left = importing.get(moduleUrl)! - 1;
    if (left === 0) importing.delete(moduleUrl);
    else importing.set(moduleUrl, left);
  }
}

/**
 * A task module this thread is importing now, if any. Parallel blames it only for calls made
 * outside any task (a Parallel made at depth 0: at a module's top level), so a task of another
 * batch that starts a nested call meanwhile (concurrent workers) is not refused.
 */
export function taskModuleBeingImported(): string | undefined {
  for (const url of importing.keys()) return url;
  return undefined;
}
