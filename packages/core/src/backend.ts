/**
 * The backend protocol (DESIGN §5): what an adapter or a third-party backend implements.
 */
import type { TaskBatch } from './batch.js';

/** What `Parallel` tells a backend when it configures it. */
export interface BackendContext {
  /** Typed arrays / ArrayBuffers over this many bytes are shared instead of copied; null disables. */
  readonly maxNbytes: number | null;
  /** Where process backends keep shared large buffers; null: PARAJOB_TEMP_FOLDER, /dev/shm, os.tmpdir(). */
  readonly tempFolder: string | null;
  /** Cap for native thread pools in process workers; null: max(cpuCount / nJobs, 1). */
  readonly innerMaxNumThreads: number | null;
  readonly verbose: number;
  /** Prints a verbosity message (`[Parallel(nJobs=2)]: ...`) when `verbose` is on. */
  log(message: string): void;
}

export interface SubmitOptions {
  /** Aborted when the call stops (first error, abort, early exit from an iterator): stop this batch's tasks. */
  readonly signal: AbortSignal;
  /** Per-task limit in ms, counted from each task's start; null: none. */
  readonly timeout: number | null;
}

/** The backend to use inside tasks (for nested Parallel calls); `nJobs: null` means the config's value, else 1. */
export interface NestedBackend {
  readonly backend: ParallelBackend;
  readonly nJobs: number | null;
}

export interface ParallelBackend {
  readonly name: string;
  /** Tasks see the caller's memory (what require: 'sharedmem' asks for). */
  readonly supportsSharedMem: boolean;
  readonly supportsTimeout: boolean;
  /** Runs tasks on threads that share memory with the caller (satisfies prefer: 'threads'). */
  readonly usesThreads: boolean;
  readonly supportsInnerMaxNumThreads: boolean;
  /**
   * Optional: false makes `nJobs: 1` run on the backend (one worker slot) like any other nJobs.
   * Default true: one job runs in the caller, the local backends' shortcut (joblib's). Remote
   * backends set false: the caller need not have the tasks' modules or resources.
   */
  readonly runsSingleJobInCaller?: boolean;
  nestingLevel: number;
  /** How many workers `nJobs` means for this backend (-1 all CPUs, ...). Throws RangeError for 0. */
  effectiveNJobs(nJobs: number): number;
  /** Starts or reuses workers for a Parallel instance; returns the number of workers. */
  configure(nJobs: number, context: BackendContext): Promise<number>;
  /**
   * Runs a batch; resolves to one result per task, in order (see TaskBatch for in-process and wire
   * forms): an array, or a Float64Array when every result is a number (what decodeResult gives).
   */
  submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>>;
  /**
   * Optional: tasks per batch for `batchSize: 'auto'`. Default: joblib's auto-batching (0.2 s to
   * 2 s per batch), kept per Parallel instance. Implement it (with an AutoBatching of your own, e.g.
   * shorter ideal durations for a network) together with batchCompleted to change the policy.
   */
  computeBatchSize?(): number;
  /** Optional: a batch of `batchSize` tasks took `durationMs`, dispatch to completion. */
  batchCompleted?(batchSize: number, durationMs: number): void;
  /** Optional: the backend for Parallel calls made inside tasks. Default: sequential, one level deeper. */
  getNestedBackend?(): NestedBackend;
  /** Stops everything this backend instance runs; with ensureReady the backend stays usable. */
  abortEverything(options: { ensureReady: boolean }): Promise<void>;
  /** Releases what configure() took (shared pools stay for reuse by others). */
  terminate(): Promise<void>;
  /** Optional: called before a call's first batch, e.g. to set up per-call shared buffers. */
  startCall?(callId: string): void;
  /** Optional: called once a call has ended and none of its batches runs any more (also after errors). */
  stopCall?(callId: string): Promise<void>;
}

export function isParallelBackend(value: unknown): value is ParallelBackend {
  if (value === null || typeof value !== 'object') return false;
  const b = value as Record<string, unknown>;
  return (
    typeof b.submit === 'function' &&
    typeof b.configure === 'function' &&
    typeof b.effectiveNJobs === 'function'
  );
}
