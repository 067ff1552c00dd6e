/** Options of `new WorkerThreadsBackend(options)`, validated up front with messages naming the option. */
import type { ResourceLimits } from 'node:worker_threads';
import { MIN_STACK_SIZE_MB, messages, RESOURCE_LIMIT_KEYS } from './messages.js';

export interface WorkerThreadsOptions {
  /** Heap and stack limits of each worker thread (node:worker_threads `resourceLimits`); a task over them fails with WorkerCrashedError (OUT_OF_MEMORY). */
  resourceLimits?: ResourceLimits;
  /** How long an idle worker thread is kept for the next call before it exits, in ms; default 30 000. Idle workers never keep the process alive. */
  idleTimeout?: number;
  /** @deprecated spelled `idleTimeout` on every backend; this name still works with a warning. */
  idleTimeoutMs?: number;
  /** A thread that has run this many tasks is replaced after its batch (never mid-task); default Infinity. */
  maxTasksPerWorker?: number;
  /**
   * Heap limit of each thread, in MB: its old generation is capped there (`resourceLimits`; a task
   * over it fails with WorkerCrashedError OUT_OF_MEMORY) and a thread whose heap holds more than
   * 3/4 of it after a batch is replaced before the next one. Default: none.
   */
  maxMemoryPerWorker?: number;
  /**
   * Batches one thread may run at once, default 1. More lets async batches overlap on a thread:
   * a remote worker serving nested tasks gives a thread another batch while its task waits in
   * get() (see @parajob/nats's worker), so a chain of tasks deeper than the threads cannot deadlock.
   */
  batchesPerThread?: number;
}

/** When a thread is replaced between batches (both Infinity: never). */
export interface RecycleLimits {
  readonly maxTasks: number;
  /** Bytes of heap in use after a batch over which the thread is replaced. */
  readonly maxHeapBytes: number;
}

export interface ResolvedOptions {
  readonly resourceLimits: ResourceLimits | null;
  readonly idleTimeout: number;
  /** null: threads are never recycled (no answer port per batch). */
  readonly recycle: RecycleLimits | null;
  readonly batchesPerThread: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** A thread is recycled once its heap holds this share of maxMemoryPerWorker after a batch, before the hard limit kills a task. */
export const RECYCLE_HEAP_SHARE = 0.75;

const KNOWN = [
  'resourceLimits',
  'idleTimeout',
  'idleTimeoutMs',
  'maxTasksPerWorker',
  'maxMemoryPerWorker',
  'batchesPerThread',
] as const;

let warnedIdleTimeoutMs = false;

function closest(key: string): string | undefined {
  const lower = key.toLowerCase();
  return KNOWN.find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower.slice(0, 4)));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function resolveResourceLimits(value: unknown): ResourceLimits | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new TypeError(messages.options.resourceLimits(value));
  const limits: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(RESOURCE_LIMIT_KEYS as readonly string[]).includes(key))
      throw new TypeError(messages.options.resourceLimitKey(key));
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new RangeError(messages.options.resourceLimitValue(key, v));
    if (key === 'stackSizeMb' && v < MIN_STACK_SIZE_MB)
      throw new RangeError(messages.options.stackTooSmall(v));
    limits[key] = v;
  }
  return Object.keys(limits).length > 0 ? limits : null;
}

function resolveIdleTimeout(o: WorkerThreadsOptions): number {
  if (o.idleTimeoutMs !== undefined) {
    if (o.idleTimeout !== undefined) throw new TypeError(messages.options.bothIdleTimeouts());
    if (!warnedIdleTimeoutMs) {
      warnedIdleTimeoutMs = true;
      process.emitWarning(messages.options.idleTimeoutMsDeprecated(), {
        type: 'DeprecationWarning',
        code: 'PARAJOB_IDLE_TIMEOUT_MS',
      });
    }
  }
  const value = o.idleTimeout ?? o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(messages.options.idleTimeout(value));
  }
  return value;
}

function resolveMaxTasks(value: unknown): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new RangeError(messages.options.maxTasksPerWorker(value));
  return value;
}

function resolveMaxMemory(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(messages.options.maxMemoryPerWorker(value));
  return value;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (!isPlainObject(options)) throw new TypeError(messages.options.notObject(options));
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key))
      throw new TypeError(messages.options.unknown(key, closest(key)));
  }
  const o = options as WorkerThreadsOptions;
  const idleTimeout = resolveIdleTimeout(o);
  const maxTasks = resolveMaxTasks(o.maxTasksPerWorker);
  const maxMemory = resolveMaxMemory(o.maxMemoryPerWorker);
  let resourceLimits = resolveResourceLimits(o.resourceLimits);
  if (maxMemory !== null) {
    // an explicit resourceLimits.maxOldGenerationSizeMb is the user's finer choice: it wins
    resourceLimits = { maxOldGenerationSizeMb: maxMemory, ...resourceLimits };
  }
  const heapLimitMb = resourceLimits?.maxOldGenerationSizeMb;
  const maxHeapBytes =
    maxMemory === null || heapLimitMb === undefined
      ? Number.POSITIVE_INFINITY
      : heapLimitMb * RECYCLE_HEAP_SHARE * 1024 * 1024;
  const recycle =
    maxTasks === Number.POSITIVE_INFINITY && maxHeapBytes === Number.POSITIVE_INFINITY
      ? null
      : { maxTasks, maxHeapBytes };
  const batchesPerThread = o.batchesPerThread ?? 1;
  if (!Number.isInteger(batchesPerThread) || batchesPerThread < 1)
    throw new RangeError(messages.options.batchesPerThread(batchesPerThread));
  return { resourceLimits, idleTimeout, recycle, batchesPerThread };
}
