/**
 * parallelConfig: defaults for every Parallel created inside a body, scoped with
 * AsyncLocalStorage so concurrent async flows never see each other's config.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ParallelBackend } from './backend.js';
import { messages } from './messages.js';
import {
  type Prefer,
  type Require,
  relabel,
  validateBackend,
  validateInnerMaxNumThreads,
  validateMaxNbytes,
  validateNJobs,
  validatePrefer,
  validateRequire,
  validateTempFolder,
  validateTimeout,
  validateVerbose,
} from './options.js';

export interface ParallelConfig {
  backend?: string | ParallelBackend | null;
  nJobs?: number | null;
  verbose?: number | boolean;
  prefer?: Prefer | null;
  require?: Require | null;
  timeout?: number | null;
  maxNbytes?: number | string | null;
  tempFolder?: string | null;
  innerMaxNumThreads?: number | null;
  /** Any other key is a backend option, passed to the backend's factory (e.g. `servers` for nats). */
  [backendOption: string]: unknown;
}

/** The merged config seen by one async flow. A key that is absent was never set. */
export interface ConfigValues {
  backend?: string | ParallelBackend;
  backendOptions: Readonly<Record<string, unknown>>;
  nJobs?: number | null;
  verbose?: number;
  prefer?: Prefer | null;
  require?: Require | null;
  timeout?: number | null;
  maxNbytes?: number | null;
  tempFolder?: string | null;
  innerMaxNumThreads?: number | null;
}

export interface Scope {
  readonly config: ConfigValues;
  /** Nesting level of the backend whose tasks run in this flow (0 at top level). */
  readonly nestingLevel: number;
  /** How many Parallel calls enclose this flow (guards against unbounded recursion). */
  readonly depth: number;
}

const ROOT: Scope = { config: { backendOptions: {} }, nestingLevel: 0, depth: 0 };
const storage = new AsyncLocalStorage<Scope>();

const KNOWN = [
  'backend',
  'nJobs',
  'verbose',
  'prefer',
  'require',
  'timeout',
  'maxNbytes',
  'tempFolder',
  'innerMaxNumThreads',
];

export function currentScope(): Scope {
  return storage.getStore() ?? ROOT;
}

export function runInScope<T>(scope: Scope, body: () => T): T {
  return storage.run(scope, body);
}

/** Validates a parallelConfig object and merges it over the enclosing config. */
export function mergeConfig(outer: ConfigValues, config: ParallelConfig): ConfigValues {
  if (config === null || typeof config !== 'object')
    throw new TypeError('parallelConfig(config, body): config must be an object');
  const next: ConfigValues = { ...outer };
  const label = 'parallelConfig: config';
  try {
    const has = (k: string) => Object.hasOwn(config, k) && config[k] !== undefined;
    if (has('backend')) {
      const b = validateBackend(config.backend);
      if (b === null) delete next.backend;
      else next.backend = b;
    }
    if (Object.hasOwn(config, 'nJobs')) next.nJobs = validateNJobs(config.nJobs);
    if (has('verbose')) next.verbose = validateVerbose(config.verbose);
    if (Object.hasOwn(config, 'prefer')) next.prefer = validatePrefer(config.prefer);
    if (Object.hasOwn(config, 'require')) next.require = validateRequire(config.require);
    if (Object.hasOwn(config, 'timeout')) next.timeout = validateTimeout(config.timeout);
    if (Object.hasOwn(config, 'maxNbytes')) next.maxNbytes = validateMaxNbytes(config.maxNbytes);
    if (Object.hasOwn(config, 'tempFolder')) next.tempFolder = validateTempFolder(config.tempFolder);
    if (Object.hasOwn(config, 'innerMaxNumThreads'))
      next.innerMaxNumThreads = validateInnerMaxNumThreads(config.innerMaxNumThreads);
  } catch (error) {
    throw relabel(error as Error, label);
  }
  const extra = Object.keys(config).filter((k) => !KNOWN.includes(k));
  const innerSet = config.innerMaxNumThreads !== undefined && config.innerMaxNumThreads !== null;
  if ((extra.length > 0 || innerSet) && !has(config, 'backend')) {
    throw new TypeError(
      messages.option.backendOptionsWithoutBackend(extra.length ? extra : ['innerMaxNumThreads']),
    );
  }
  if (extra.length > 0 && typeof config.backend !== 'string') {
    throw new TypeError(messages.option.backendOptionsWithInstance(extra));
  }
  if (has(config, 'backend')) {
    // a new backend starts with its own options; options never leak from one backend to another
    next.backendOptions = Object.fromEntries(extra.map((k) => [k, config[k]]));
  }
  return next;
}

function has(config: ParallelConfig, key: string): boolean {
  return Object.hasOwn(config, key) && config[key] !== undefined && config[key] !== null;
}

/**
 * Runs `body` (sync or async) with defaults for every Parallel created inside it, including in
 * libraries you do not control. Nests: the inner value wins; explicit Parallel options beat it.
 */
export function parallelConfig<T>(config: ParallelConfig, body: () => T): T {
  if (typeof body !== 'function')
    throw new TypeError('parallelConfig(config, body): body must be a function');
  const scope = currentScope();
  return storage.run({ ...scope, config: mergeConfig(scope.config, config) }, body);
}
