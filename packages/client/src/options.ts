/** Per-task and per-actor options (Ray's `.options()`), validated once where they are given. */
import { messages } from './messages.js';

export type ErrorClass = abstract new (...args: any[]) => Error;

export interface TaskOptions {
  /** Retries after a system failure (the worker died, e.g. process.exit in the task); -1: forever. Default 3, as Ray. */
  readonly maxRetries?: number;
  /** Also retry when the task throws: true for any error, or the error classes to retry. Default false. */
  readonly retryExceptions?: boolean | readonly ErrorClass[];
  /** How many refs the call returns (the task returns an array of that length), or 'streaming' for a generator. */
  readonly numReturns?: number | 'streaming';
  /** CPUs the task holds while it runs (logical, as Ray's num_cpus). Default 1. */
  readonly numCpus?: number;
  /** Custom resources the task holds while it runs, matched against what the cluster declares. */
  readonly resources?: Readonly<Record<string, number>>;
  /** Items a streaming generator may produce ahead of its consumer (back-pressure). Default 16. */
  readonly generatorBackpressure?: number;
}

export interface ResolvedTaskOptions {
  readonly maxRetries: number;
  readonly retryExceptions: boolean | readonly ErrorClass[];
  readonly numReturns: number | 'streaming';
  readonly numCpus: number;
  readonly resources: Readonly<Record<string, number>>;
  readonly generatorBackpressure: number;
}

export interface ActorOptions {
  /** Restarts after the actor's worker dies (the constructor runs again); -1: forever. Default 0, as Ray. */
  readonly maxRestarts?: number;
  /** Async method calls that may run at once; default 1 (calls run one after another, in order). */
  readonly maxConcurrency?: number;
  /** CPUs the actor holds for its lifetime (logical). Default 0: an actor has its own thread. */
  readonly numCpus?: number;
  readonly resources?: Readonly<Record<string, number>>;
}

export interface ResolvedActorOptions {
  readonly maxRestarts: number;
  readonly maxConcurrency: number;
  readonly numCpus: number;
  readonly resources: Readonly<Record<string, number>>;
}

export const DEFAULT_TASK_OPTIONS: ResolvedTaskOptions = {
  maxRetries: 3,
  retryExceptions: false,
  numReturns: 1,
  numCpus: 1,
  resources: {},
  generatorBackpressure: 16,
};

const TASK_KEYS = Object.keys(DEFAULT_TASK_OPTIONS);
const ACTOR_KEYS = ['maxRestarts', 'maxConcurrency', 'numCpus', 'resources'];

const isCount = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isAmount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function checkKeys(options: object, known: readonly string[]): void {
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw new TypeError(messages.unknownOption(key, known));
}

function checkResources(resources: unknown): Readonly<Record<string, number>> {
  if (resources === undefined) return {};
  if (resources === null || typeof resources !== 'object' || Array.isArray(resources))
    throw new TypeError(messages.badOption('resources', resources, 'an object of name: amount'));
  for (const [name, amount] of Object.entries(resources)) {
    if (!isAmount(amount))
      throw new TypeError(messages.badOption(`resources.${name}`, amount, 'a number >= 0'));
  }
  return resources as Record<string, number>;
}

export function resolveTaskOptions(base: ResolvedTaskOptions, options: TaskOptions): ResolvedTaskOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError(messages.badOption('options', options, 'an object'));
  checkKeys(options, TASK_KEYS);
  const o = { ...base, ...options };
  if (!isCount(o.maxRetries, -1))
    throw new TypeError(messages.badOption('maxRetries', o.maxRetries, 'an integer >= -1'));
  const re = o.retryExceptions;
  if (typeof re !== 'boolean' && !(Array.isArray(re) && re.every((c) => typeof c === 'function')))
    throw new TypeError(
      messages.badOption('retryExceptions', re, 'true, false, or an array of error classes'),
    );
  if (o.numReturns !== 'streaming' && !isCount(o.numReturns, 1))
    throw new TypeError(messages.badOption('numReturns', o.numReturns, "an integer >= 1 or 'streaming'"));
  if (!isAmount(o.numCpus)) throw new TypeError(messages.badOption('numCpus', o.numCpus, 'a number >= 0'));
  if (!isCount(o.generatorBackpressure, 1))
    throw new TypeError(
      messages.badOption('generatorBackpressure', o.generatorBackpressure, 'an integer >= 1'),
    );
  return { ...o, resources: checkResources(o.resources) };
}

export function resolveActorOptions(options: ActorOptions): ResolvedActorOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError(messages.badOption('options', options, 'an object'));
  checkKeys(options, ACTOR_KEYS);
  const o = { maxRestarts: 0, maxConcurrency: 1, numCpus: 0, ...options };
  if (!isCount(o.maxRestarts, -1))
    throw new TypeError(messages.badOption('maxRestarts', o.maxRestarts, 'an integer >= -1'));
  if (!isCount(o.maxConcurrency, 1))
    throw new TypeError(messages.badOption('maxConcurrency', o.maxConcurrency, 'an integer >= 1'));
  if (!isAmount(o.numCpus)) throw new TypeError(messages.badOption('numCpus', o.numCpus, 'a number >= 0'));
  return { ...o, resources: checkResources(o.resources) };
}

/** Whether a task error is retried under `retryExceptions`. */
export function retriesError(retryExceptions: WireTaskOptions['retryExceptions'], error: unknown): boolean {
  if (retryExceptions === true) return true;
  if (retryExceptions === false) return false;
  return retryExceptions.some((Class) =>
    typeof Class === 'string' ? hasClassNamed(error, Class) : error instanceof Class,
  );
}

/** A class given by name (from a nested task) matches the error's class or one it extends. */
function hasClassNamed(error: unknown, name: string): boolean {
  for (
    let proto = error === null || typeof error !== 'object' ? null : Object.getPrototypeOf(error);
    proto;
    proto = Object.getPrototypeOf(proto)
  ) {
    if (proto.constructor?.name === name) return true;
  }
  return false;
}

/** Task options as they cross threads: error classes by name (classes cannot be cloned). */
export type WireTaskOptions = Omit<ResolvedTaskOptions, 'retryExceptions'> & {
  readonly retryExceptions: boolean | readonly (ErrorClass | string)[];
};

export function toWireTaskOptions(options: ResolvedTaskOptions): WireTaskOptions {
  const re = options.retryExceptions;
  return typeof re === 'boolean'
    ? options
    : { ...options, retryExceptions: re.map((c) => (c as Function).name) };
}
