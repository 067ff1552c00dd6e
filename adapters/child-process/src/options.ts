/** The options of ChildProcessBackend, checked once at construction. */
import { messages } from './messages.js';

export interface ChildProcessBackendOptions {
  /**
   * Extra Node flags for the workers, added after the ones they inherit from the parent, e.g.
   * `['--max-old-space-size=512']` to cap each worker's heap.
   */
  execArgv?: readonly string[];
  /** Workers start with the parent's `process.execArgv` (so `--import tsx` works); default true. */
  inheritExecArgv?: boolean;
  /** Extra environment variables for the workers (on top of the parent's environment). */
  env?: Readonly<Record<string, string>>;
  /** Milliseconds an idle worker is kept for reuse before it exits; default 300 000 (joblib's 300 s). */
  idleTimeout?: number;
  /** A worker that has run this many tasks is replaced after its batch (never mid-task); default Infinity. */
  maxTasksPerWorker?: number;
  /**
   * Memory limit of each worker, in MB: a worker whose resident memory (RSS) exceeds it after a batch
   * is replaced before the next one, and its heap is capped there (`--max-old-space-size`, unless
   * execArgv sets one) so a single task over it fails with WorkerCrashedError OUT_OF_MEMORY. Default: none.
   */
  maxMemoryPerWorker?: number;
}

/** When a worker is replaced between batches (Infinity: never). */
export interface WorkerLimits {
  readonly maxTasks: number;
  readonly maxRssBytes: number;
}

export const NO_LIMITS: WorkerLimits = {
  maxTasks: Number.POSITIVE_INFINITY,
  maxRssBytes: Number.POSITIVE_INFINITY,
};

export interface NormalizedOptions {
  readonly execArgv: readonly string[];
  readonly inheritExecArgv: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly idleTimeout: number;
  readonly limits: WorkerLimits;
  /** maxMemoryPerWorker in MB, or null. */
  readonly maxMemoryMb: number | null;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
const KNOWN = new Set([
  'execArgv',
  'inheritExecArgv',
  'env',
  'idleTimeout',
  'maxTasksPerWorker',
  'maxMemoryPerWorker',
]);

export function normalizeOptions(options: unknown): NormalizedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(messages.option.notObject(options));
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key) && o[key] !== undefined) throw new TypeError(messages.option.unknown(key));
  }
  const execArgv = o.execArgv ?? [];
  if (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== 'string'))
    throw new TypeError(messages.option.execArgv(execArgv));
  const inheritExecArgv = o.inheritExecArgv ?? true;
  if (typeof inheritExecArgv !== 'boolean')
    throw new TypeError(messages.option.inheritExecArgv(inheritExecArgv));
  const env = o.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env))
    throw new TypeError(messages.option.env(env));
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== 'string') throw new TypeError(messages.option.envValue(key, value));
  }
  const idleTimeout = o.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (typeof idleTimeout !== 'number' || !(idleTimeout >= 0) || !Number.isFinite(idleTimeout)) {
    throw new RangeError(messages.option.idleTimeout(idleTimeout));
  }
  const maxTasks = o.maxTasksPerWorker ?? Number.POSITIVE_INFINITY;
  if (
    typeof maxTasks !== 'number' ||
    !(maxTasks === Number.POSITIVE_INFINITY || (Number.isInteger(maxTasks) && maxTasks >= 1))
  )
    throw new RangeError(messages.option.maxTasksPerWorker(maxTasks));
  const maxMemory = o.maxMemoryPerWorker ?? null;
  if (maxMemory !== null && (typeof maxMemory !== 'number' || !Number.isFinite(maxMemory) || maxMemory <= 0))
    throw new RangeError(messages.option.maxMemoryPerWorker(maxMemory));
  return {
    execArgv: [...(execArgv as string[])],
    inheritExecArgv,
    env: { ...(env as Record<string, string>) },
    idleTimeout,
    limits: {
      maxTasks,
      maxRssBytes: maxMemory === null ? Number.POSITIVE_INFINITY : maxMemory * 1024 * 1024,
    },
    maxMemoryMb: maxMemory,
  };
}
