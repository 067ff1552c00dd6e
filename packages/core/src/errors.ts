/**
 * The error classes users catch. Every message says what happened and what to do;
 * the wording lives in messages.ts.
 */

/** A worker (thread or process) died while it ran a task: exit code or signal, e.g. `EXIT(3)`, `SIGKILL`. */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
  /** Index of the task the worker was running, or `undefined` when it died between tasks. */
  taskIndex: number | undefined;
  /** `EXIT(n)`, a signal name such as `SIGKILL`, or a short reason (`OUT_OF_MEMORY`, `CONNECTION_LOST`). */
  readonly exitReason: string;
  constructor(message: string, options: { taskIndex?: number; exitReason: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.taskIndex = options.taskIndex;
    this.exitReason = options.exitReason;
  }
}

/** A task ran longer than the call's `timeout` (counted from when it started running). */
export class TaskTimeoutError extends Error {
  override name = 'TaskTimeoutError';
  readonly taskIndex: number;
  readonly timeoutMs: number;
  constructor(message: string, options: { taskIndex: number; timeoutMs: number }) {
    super(message);
    this.taskIndex = options.taskIndex;
    this.timeoutMs = options.timeoutMs;
  }
}

/** An argument or result that cannot cross to a worker (structured clone), with the path inside the value. */
export class SerializationError extends Error {
  override name = 'SerializationError';
  taskIndex: number | undefined;
  /** Where in the value the problem is, e.g. `args[1].cb` or `result.handler`. */
  readonly path: string;
  /** `'arguments'` (detected before dispatch), `'result'`, or `'function'` (the task function itself). */
  readonly phase: 'arguments' | 'result' | 'function';
  constructor(
    message: string,
    options: {
      taskIndex?: number;
      path: string;
      phase: 'arguments' | 'result' | 'function';
      cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.taskIndex = options.taskIndex;
    this.path = options.path;
    this.phase = options.phase;
  }
}

/** The backend name is unknown here: lists the registered ones and the package that provides it. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  readonly backend: string;
  readonly registered: readonly string[];
  constructor(message: string, options: { backend: string; registered: readonly string[] }) {
    super(message);
    this.backend = options.backend;
    this.registered = options.registered;
  }
}

/**
 * Two copies of @parajob/core whose backend registries are incompatible are loaded in this process
 * (`npm ls @parajob/core` shows them): backends registered through one cannot be used by the other.
 */
export class IncompatibleCoreError extends Error {
  override name = 'IncompatibleCoreError';
  /** The registry version of the copy that threw. */
  readonly version: number;
  /** The registry version of the copy that created the process's registry first. */
  readonly otherVersion: number;
  /** The module URL of that other copy. */
  readonly otherCopy: string;
  constructor(message: string, options: { version: number; otherVersion: number; otherCopy: string }) {
    super(message);
    this.version = options.version;
    this.otherVersion = options.otherVersion;
    this.otherCopy = options.otherCopy;
  }
}

/** Thrown into tasks and calls that were cancelled because the call stopped (first error, abort, early exit). */
export class CallCancelledError extends Error {
  override name = 'CallCancelledError';
}

/**
 * What a backend's `submit()` rejects with when a task of a batch fails (not settled): the task's
 * error, and the results of the batch's tasks that ran before it, in order (`completed[i]` is task
 * `batch.firstIndex + i`), so iterators and runSettled still deliver them. `decodeResult` and
 * `TaskBatch.run` reject with it; core unwraps it, so the caller never sees a BatchFailure.
 * A backend that wraps it keeps the values when it passes it as the `cause` of its own error.
 */
export class BatchFailure extends Error {
  override name = 'BatchFailure';
  /** The failing task's error (with its `taskIndex`), as the caller will receive it. */
  readonly error: unknown;
  /** Results of the tasks of the batch before the failing one (Float64Array when all numbers). */
  readonly completed: ArrayLike<unknown>;
  constructor(error: unknown, completed: ArrayLike<unknown>) {
    super(`task ${describeIndex(error)} of the batch failed`, { cause: error });
    this.error = error;
    this.completed = completed;
  }
}

function describeIndex(error: unknown): string {
  const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
  return typeof index === 'number' ? String(index) : '(unknown)';
}

/** The BatchFailure a rejection is, or carries as its cause (a backend that wrapped it), if any. */
export function batchFailureOf(rejection: unknown): BatchFailure | undefined {
  let current = rejection;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof BatchFailure) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An error a task threw (or a parajob error about a task), with the index of that task in the call's input. */
export type TaskError = Error & { taskIndex: number };

/** Narrows a caught error to one that names its task: `if (isTaskError(e)) console.log(e.taskIndex)`. */
export function isTaskError(error: unknown): error is TaskError {
  return error instanceof Error && typeof (error as { taskIndex?: unknown }).taskIndex === 'number';
}

/** The index of the task an error is about, or undefined (errors about the call as a whole, thrown non-Error values). */
export function taskIndexOf(error: unknown): number | undefined {
  const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
  return typeof index === 'number' ? index : undefined;
}

/** Attach the index of the task that failed, without disturbing other own properties. */
export function withTaskIndex<E>(error: E, taskIndex: number): E {
  if (error !== null && typeof error === 'object') {
    try {
      (error as { taskIndex?: number }).taskIndex = taskIndex;
    } catch {
      // frozen or exotic error objects keep their shape; the caller still gets the error itself
    }
  }
  return error;
}
