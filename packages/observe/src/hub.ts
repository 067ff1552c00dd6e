/**
 * The one Instrumentation this package installs in core, shared by everything it offers: the
 * tracer (optional: only once tracing is enabled) and event listeners (metrics, the dashboard, run
 * reports). Installed on first use and removed again when nothing uses it, so core is back to its
 * zero-cost path.
 */
import {
  type BatchObserver,
  type CallInfo,
  type CallObserver,
  type Instrumentation,
  setInstrumentation,
  type TaskBatch,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';

/** What a listener learns about calls; times are `Date.now()` milliseconds. */
export interface CallListener {
  callStarted?(info: CallInfo, at: number): void;
  batchStarted?(callId: string, first: number, size: number, at: number): void;
  /** `error` undefined when the batch succeeded. */
  batchEnded?(callId: string, first: number, size: number, at: number, ms: number, error: unknown): void;
  callEnded?(callId: string, at: number, error: unknown): void;
}

/** The tracing side (see tracing.ts): spans and context, absent until tracing is enabled. */
export interface Tracer {
  startCall(info: CallInfo): TracedCall;
  runWorkerBatch(wire: WireBatch, run: () => Promise<WireResult>): Promise<WireResult>;
}

export interface TracedCall {
  run<T>(fn: () => T): T;
  batch(batch: TaskBatch): { traceparent: string; run<T>(fn: () => T): T; end(error: unknown): void };
  end(error: unknown): void;
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

const hub: Instrumentation = {
  startCall(info: CallInfo): CallObserver {
    const traced = tracer?.startCall(info);
    notify((l) => l.callStarted?.(info, Date.now()));
    let ended = false;
    return {
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
          end(error: unknown) {
            span?.end(error);
            const ms = performance.now() - started;
            notify((l) => l.batchEnded?.(info.callId, first, size, Date.now(), ms, error));
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
