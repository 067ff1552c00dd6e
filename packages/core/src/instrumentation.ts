/**
 * The instrumentation hook: how an observer (`@parajob/observe`: traces, metrics, the dashboard)
 * sees calls and batches without core depending on it. Nothing is installed by default, and then
 * core pays one `undefined` check per call and per worker batch. Hooks sit at the Parallel/backend
 * boundary (a call's start and end, each `submit`), not inside the scheduler's loop.
 */
import type { ParallelBackend, SubmitOptions } from './backend.js';
import type { TaskBatch } from './batch.js';
import type { OutputMode } from './results.js';
import type { WireBatch, WireResult } from './wire.js';

export interface CallInfo {
  readonly callId: string;
  readonly backend: string;
  /** What the user asked (e.g. -1). */
  readonly nJobs: number;
  /** Workers the backend configured (1 when the call runs in the caller). */
  readonly workers: number;
  readonly inCaller: boolean;
  readonly mode: OutputMode;
  /** The input's length when it is an array, else null. */
  readonly total: number | null;
  /** Number of Parallel calls enclosing this one. */
  readonly depth: number;
  /** 'task': one Ray-like remote task (a client's `.remote()`), not a Parallel call. */
  readonly kind?: 'task';
}

export interface BatchObserver {
  /** W3C `traceparent` of the batch's span, carried to the worker on the wire (`wire.traceparent`). */
  readonly traceparent?: string;
  /** Runs `submit` (in the batch's trace context, for in-process backends). */
  run<T>(fn: () => T): T;
  /**
   * The batch settled: `error` undefined when it succeeded, `values` its results then (in
   * `runSettled` calls, a failed task's slot holds a TaskFailure marker).
   */
  end(error: unknown, values?: ArrayLike<unknown>): void;
}

export interface CallObserver {
  /**
   * W3C `traceparent` of the call's span when tracing is on: what an engine that sends the work
   * itself carries to its worker (the Ray-like client's task messages; see runInTraceContext).
   */
  readonly traceparent?: string;
  /** Runs the call's start (so its async work inherits the call's trace context). */
  run<T>(fn: () => T): T;
  /** One batch is submitted to the backend (not called for calls run in the caller). */
  batch(batch: TaskBatch): BatchObserver;
  /** The call ended: `error` undefined when it succeeded or was left early. */
  end(error: unknown): void;
}

/**
 * Why a backend replaced one of its workers (the thread or process ended; a new one takes its
 * place when needed): it crashed, it was stopped for a task's timeout or for the call's abort, or
 * it was retired after its share of work (recycling).
 */
export type WorkerReplacement = 'crash' | 'timeout' | 'abort' | 'recycle';

/** Why a driver sent a batch again: its worker was lost (gRPC `retries`), or the queue redelivered it. */
export type BatchRetry = 'lost-worker' | 'redelivery';

export interface Instrumentation {
  /** A Parallel call starts; return undefined to ignore it. */
  startCall(info: CallInfo): CallObserver | undefined;
  /** Worker side: a batch that carries a trace context runs (any backend's worker, via runBatch). */
  runWorkerBatch?(wire: WireBatch, run: () => Promise<WireResult>): Promise<WireResult>;
  /** Worker side: a client task that carries a trace context runs (see runInTraceContext). */
  runTraced?<T>(traceparent: string, taskId: string, run: () => Promise<T>): Promise<T>;
  /** A backend replaced a worker (see reportWorkerReplaced). */
  workerReplaced?(backend: string, reason: WorkerReplacement): void;
  /** A driver sent a batch again (see reportBatchRetried). */
  batchRetried?(backend: string, reason: BatchRetry): void;
}

let installed: Instrumentation | undefined;

/** Installs (or, with undefined, removes) the process's instrumentation; returns the previous one. */
export function setInstrumentation(next: Instrumentation | undefined): Instrumentation | undefined {
  const previous = installed;
  installed = next;
  return previous;
}

export function currentInstrumentation(): Instrumentation | undefined {
  return installed;
}

/**
 * Worker side of an engine that carries `CallObserver.traceparent` itself: runs `run` under the
 * caller's span (a task's own spans nest under it) when tracing is on in this worker. Look the
 * hook up after importing the task's module: importing it may be what turns tracing on.
 */
export function runInTraceContext<T>(
  traceparent: string | undefined,
  taskId: string,
  run: () => Promise<T>,
): Promise<T> {
  const hook = traceparent === undefined ? undefined : installed?.runTraced;
  return hook ? hook(traceparent!, taskId, run) : run();
}

/** For backends: one of `backend`'s workers (thread, process) ended and is replaced, and why. */
export function reportWorkerReplaced(backend: string, reason: WorkerReplacement): void {
  installed?.workerReplaced?.(backend, reason);
}

/** For backends: a batch is sent again (to another worker, or redelivered by the queue). */
export function reportBatchRetried(backend: string, reason: BatchRetry): void {
  installed?.batchRetried?.(backend, reason);
}

/**
 * The backend as a call sees it when observed: `submit` reports each batch, everything else is the
 * backend itself (methods bound to it, so its own state stays its own).
 */
export function observedBackend(backend: ParallelBackend, observer: CallObserver): ParallelBackend {
  const submit = (batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>> => {
    const seen = observer.batch(batch);
    if (seen.traceparent !== undefined) batch.traceparent = seen.traceparent;
    let promise: Promise<ArrayLike<unknown>>;
    try {
      promise = seen.run(() => backend.submit(batch, options));
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.then(
      (values) => {
        seen.end(undefined, values);
        return values;
      },
      (error: unknown) => {
        seen.end(error);
        throw error;
      },
    );
  };
  // each method bound once per call, not at every access
  const bound = new Map<PropertyKey, { fn: Function; bound: Function }>();
  return new Proxy(backend, {
    get(target, key) {
      if (key === 'submit') return submit;
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const entry = bound.get(key);
      if (entry !== undefined && entry.fn === value) return entry.bound;
      const fresh = value.bind(target);
      bound.set(key, { fn: value, bound: fresh });
      return fresh;
    },
  });
}
