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
