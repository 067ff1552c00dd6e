/**
 * The one Instrumentation this package installs in core, shared by everything it offers: the
 * tracer (optional: only once tracing is enabled) and event listeners (metrics, the dashboard, run
 * reports). Installed on first use and removed again when nothing uses it, so core is back to its
 * zero-cost path.
 */
import {
  type BatchObserver,
  type BatchRetry,
  batchFailureOf,
  type CallInfo,
  type CallObserver,
  type Instrumentation,
  setInstrumentation,
  type TaskBatch,
  type WireBatch,
  type WireResult,
  type WorkerReplacement,
} from '@parajob/core/backend';
import { TaskFailure } from '@parajob/core/internal';

/** What a listener learns about calls; times are `Date.now()` milliseconds. */
export interface CallListener {
  callStarted?(info: CallInfo, at: number): void;
  batchStarted?(callId: string, first: number, size: number, at: number): void;
  /**
   * `error` undefined when the batch succeeded; `failedTasks`: its tasks that failed in a
   * `runSettled` call (each also reported to taskFailed first); `runMs`: how long the worker ran
   * it, when its answer says (`ms - runMs` is then its queue wait and transport), else null.
   */
  batchEnded?(
    callId: string,
    first: number,
    size: number,
    at: number,
    ms: number,
    error: unknown,
    failedTasks: number,
    runMs: number | null,
  ): void;
  /** A task of a `runSettled` call failed inside a batch that otherwise completed. */
  taskFailed?(callId: string, taskIndex: number, at: number, error: unknown): void;
  callEnded?(callId: string, at: number, error: unknown): void;
  /** A backend of this process replaced a worker (thread, process): crash, timeout, abort, recycle. */
  workerReplaced?(backend: string, reason: WorkerReplacement): void;
  /** A backend of this process sent a batch again (a lost worker's batch, a queue's redelivery). */
  batchRetried?(backend: string, reason: BatchRetry): void;
}

/** The tracing side (see tracing.ts): spans and context, absent until tracing is enabled. */
export interface Tracer {
  /** undefined when there is nothing to trace (no SDK): the call then runs untraced. */
  startCall(info: CallInfo): TracedCall | undefined;
  runWorkerBatch(wire: WireBatch, run: () => Promise<WireResult>): Promise<WireResult>;
  runTraced<T>(traceparent: string, taskId: string, run: () => Promise<T>): Promise<T>;
}

export interface TracedCall {
  readonly traceparent: string;
  run<T>(fn: () => T): T;
  batch(batch: TaskBatch): { traceparent: string; run<T>(fn: () => T): T; end(error: unknown): void };
  end(error: unknown): void;
}

/**
 * A batch stopped because its call stopped (another task failed, the user aborted, an iterator
 * was left): not a failure of its own, so listeners do not report it as one.
 */
export function isCancellation(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'CallCancelledError' || name === 'AbortError';
}

/**
 * The error a batch failed with as the caller sees it: a backend rejects with a BatchFailure (or
 * an error caused by one) that carries the failing task's own error.
 */
export function taskErrorOf(rejection: unknown): unknown {
  return batchFailureOf(rejection)?.error ?? rejection;
}

const listeners = new Set<CallListener>();
let tracer: Tracer | undefined;

const plain = <T>(fn: () => T): T => fn();

function notify(each: (listener: CallListener) => void): void {
  for (const listener of listeners) {
    try {
      each(listener);
    } catch {
      // an observer's bug must never fail the user's call
    }
  }
}

/**
 * A call only traced (no listener when it started): its batches go straight to their spans, with
 * none of the listeners' bookkeeping (clocks, notifications) per batch.
 */
function tracedOnly(traced: TracedCall): CallObserver {
  let ended = false;
  return {
    traceparent: traced.traceparent,
    run: traced.run,
    batch(batch: TaskBatch): BatchObserver {
      const span = traced.batch(batch);
      return {
        traceparent: span.traceparent,
        run: span.run,
        end: (rejection: unknown) => span.end(rejection === undefined ? undefined : taskErrorOf(rejection)),
      };
    },
    end(error: unknown) {
      // a failing call reports its error first, then Parallel reports the end: keep the first
      if (ended) return;
      ended = true;
      traced.end(error);
    },
  };
}

const hub: Instrumentation = {
  startCall(info: CallInfo): CallObserver | undefined {
    const traced = tracer?.startCall(info);
    // nothing to trace and nobody listening: core runs the call on its unobserved path
    if (listeners.size === 0) return traced && tracedOnly(traced);
    notify((l) => l.callStarted?.(info, Date.now()));
    let ended = false;
    const settled = info.mode === 'settled';
    return {
      traceparent: traced?.traceparent,
      run: traced ? (fn) => traced.run(fn) : plain,
      batch(batch: TaskBatch): BatchObserver {
        const first = batch.firstIndex;
        const size = batch.size;
        const started = performance.now();
        notify((l) => l.batchStarted?.(info.callId, first, size, Date.now()));
        const span = traced?.batch(batch);
        return {
          traceparent: span?.traceparent,
          run: span ? (fn) => span.run(fn) : plain,
          end(rejection: unknown, values?: ArrayLike<unknown>) {
            const error = rejection === undefined ? undefined : taskErrorOf(rejection);
            span?.end(error);
            const ms = performance.now() - started;
            const at = Date.now();
            // settled calls: failed tasks come back as markers among the values (plain arrays only)
            let failed = 0;
            if (settled && error === undefined && Array.isArray(values))
              for (let i = 0; i < values.length; i++) {
                const v: unknown = values[i];
                if (!(v instanceof TaskFailure)) continue;
                failed++;
                notify((l) => l.taskFailed?.(info.callId, first + i, at, v.error));
              }
            const runMs = batch.runMs === undefined ? null : Math.min(batch.runMs, ms);
            notify((l) => l.batchEnded?.(info.callId, first, size, at, ms, error, failed, runMs));
          },
        };
      },
      end(error: unknown) {
        // a failing call reports its error first, then Parallel reports the end: keep the first
        if (ended) return;
        ended = true;
        traced?.end(error);
        notify((l) => l.callEnded?.(info.callId, Date.now(), error));
      },
    };
  },
  runWorkerBatch(wire, run) {
    return tracer ? tracer.runWorkerBatch(wire, run) : run();
  },
  runTraced(traceparent, taskId, run) {
    return tracer ? tracer.runTraced(traceparent, taskId, run) : run();
  },
  workerReplaced(backend, reason) {
    notify((l) => l.workerReplaced?.(backend, reason));
  },
  batchRetried(backend, reason) {
    notify((l) => l.batchRetried?.(backend, reason));
  },
};

function sync(): void {
  setInstrumentation(listeners.size > 0 || tracer !== undefined ? hub : undefined);
}

/** Starts telling `listener` about every call of this process; returns the function that stops it. */
export function listen(listener: CallListener): () => void {
  listeners.add(listener);
  sync();
  return () => {
    listeners.delete(listener);
    sync();
  };
}

export function setTracer(next: Tracer | undefined): void {
  tracer = next;
  sync();
}
