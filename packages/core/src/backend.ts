/**
 * The backend protocol, version 2 (DESIGN §5, after joblib's ParallelBackendBase): what an adapter
 * or a third-party backend implements. Backend authors import it from `@parajob/core/backend` and
 * usually extend `BackendBase`, which gives every flag and hook below its default.
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
  /** Aborted when the call stops (first error, abort, early exit from an iterator, close()): stop this batch's tasks. */
  readonly signal: AbortSignal;
  /** Per-task limit in ms, counted from each task's start; null: none. */
  readonly timeout: number | null;
}

/** The backend to use inside tasks (for nested Parallel calls); `nJobs: null` means the config's value, else 1. */
export interface NestedBackend {
  readonly backend: ParallelBackend;
  readonly nJobs: number | null;
}

/**
 * Protocol 2. Every member is called by core; `BackendBase` implements all but `name` and
 * `submit` with joblib's defaults, and the optional hooks default as their comments say.
 */
export interface ParallelBackend {
  readonly name: string;
  /** Tasks see the caller's memory (what require: 'sharedmem' asks for). Default false. */
  readonly supportsSharedMem: boolean;
  /** submit() honours `timeout`; without it a timeout is ignored with one warning. Default false. */
  readonly supportsTimeout: boolean;
  /** Runs tasks on threads that share memory with the caller (satisfies prefer: 'threads'). Default false. */
  readonly usesThreads: boolean;
  /** Applies `innerMaxNumThreads` (parallelConfig) to its workers; else that config is an error. Default false. */
  readonly supportsInnerMaxNumThreads: boolean;
  /**
   * 0 at top level, one more inside each task. Core sets it right after creating a backend by
   * name (registerBackend factories do not receive it); an instance passed as `backend` keeps its own.
   */
  nestingLevel: number;
  /**
   * How many workers `nJobs` would mean (-1 all, -2 all but one, N...): answers `effectiveNJobs()`
   * and validates nJobs for calls that run in the caller. Throws RangeError for 0. Default: local CPUs.
   */
  effectiveNJobs(nJobs: number): number;
  /**
   * True when a call with this nJobs (what the user asked, after parallelConfig) runs in the
   * caller: core then runs its tasks itself, one batch at a time, without configure() or submit()
   * (joblib's sequential fast path, the debugging mode). Default: `nJobs === 1`; remote backends say false.
   */
  runsInCaller(nJobs: number): boolean;
  /**
   * Starts or reuses workers for a Parallel instance, at its first call that does not run in the
   * caller. `requestedNJobs` is what the user asked (e.g. -1, 4), not a resolved count; returns the
   * number of workers (0 is an error). Throws RangeError for 0. Default: `effectiveNJobs(requestedNJobs)`.
   */
  configure(requestedNJobs: number, context: BackendContext): Promise<number>;
  /**
   * Runs a batch; resolves to one result per task, in order (see TaskBatch for in-process and wire
   * forms): an array, or a Float64Array when every result is a number (what decodeResult gives).
   */
  submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>>;
  /**
   * Optional, with batchCompleted: tasks per batch for `batchSize: 'auto'`. Without them core uses
   * joblib's auto-batching (0.2 s to 2 s per batch), kept per Parallel instance.
   */
  computeBatchSize?(): number;
  /** Optional: a batch of `batchSize` tasks took `durationMs`, dispatch to completion. */
  batchCompleted?(batchSize: number, durationMs: number): void;
  /** Optional: the backend for Parallel calls made inside tasks. Default: sequential, one level deeper. */
  getNestedBackend?(): NestedBackend;
  /** Optional: called before a call's first batch, e.g. to set up per-call shared buffers. */
  startCall?(callId: string): void;
  /** Optional: called once a call has ended and none of its batches runs any more (also after errors). */
  stopCall?(callId: string): Promise<void>;
  /**
   * Releases what configure() took, at Parallel.close() (after the running call, if any, was
   * cancelled through its signal and drained); shared pools may stay for others. Default: nothing.
   */
  terminate(): Promise<void>;
}

const REQUIRED_METHODS = ['effectiveNJobs', 'runsInCaller', 'configure', 'submit', 'terminate'] as const;

/** A backend instance of this protocol: the methods core calls exist (flags are read as given). */
export function isParallelBackend(value: unknown): value is ParallelBackend {
  if (value === null || typeof value !== 'object') return false;
  const b = value as Record<string, unknown>;
  return typeof b.name === 'string' && REQUIRED_METHODS.every((m) => typeof b[m] === 'function');
}

/** The protocol methods `value` lacks (for the error message of an outdated or partial backend). */
export function missingBackendMethods(value: object): string[] {
  const b = value as Record<string, unknown>;
  return REQUIRED_METHODS.filter((m) => typeof b[m] !== 'function');
}
