/**
 * The worker-threads backend (parajob's default): batches run on a shared piscina pool of worker
 * threads; a timeout or an abort stops the thread running the task and piscina replaces it.
 */
import {
  BackendBase,
  type BackendContext,
  CallCancelledError,
  decodeResult,
  encodeBatch,
  type SubmitOptions,
  type TaskBatch,
  TaskTimeoutError,
  type WireResult,
  watchTaskTimeout,
} from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { explainFailure } from './failures.js';
import { messages } from './messages.js';
import { type ResolvedOptions, resolveOptions, type WorkerThreadsOptions } from './options.js';
import { sharedPool, type WorkerPool } from './pool.js';
import { LargeBufferSharing } from './shared-buffers.js';
import { StatusSlot } from './status-slot.js';

/** Worker threads do not share the caller's memory: for prefer/require they count as "processes" (BackendBase's defaults). */
export class WorkerThreadsBackend extends BackendBase {
  readonly name = 'worker-threads';
  override readonly supportsTimeout = true;
  private readonly options: ResolvedOptions;
  private pool: WorkerPool | undefined;
  private buffers = new LargeBufferSharing(null);
  /** In-flight batches of this instance: each entry stops its batch with the given reason. */
  private readonly running = new Set<Stop>();
  /** In-flight batches per call signal: one abort listener per call, not one per batch. */
  private readonly byCall = new WeakMap<AbortSignal, Set<Stop>>();

  constructor(options: WorkerThreadsOptions = {}) {
    super();
    this.options = resolveOptions(options);
  }

  override async configure(requestedNJobs: number, context: BackendContext): Promise<number> {
    const threads = this.effectiveNJobs(requestedNJobs);
    this.pool = await sharedPool({
      threads,
      resourceLimits: this.options.resourceLimits,
      idleTimeoutMs: this.options.idleTimeoutMs,
    });
    this.buffers = new LargeBufferSharing(context.maxNbytes);
    return threads;
  }

  startCall(callId: string): void {
    if (this.buffers.enabled) this.buffers.startCall(callId);
  }

  async stopCall(callId: string): Promise<void> {
    this.buffers.stopCall(callId);
  }

  async submit(batch: TaskBatch, { signal, timeout }: SubmitOptions): Promise<ArrayLike<unknown>> {
    const pool = this.pool;
    if (pool === undefined) throw new Error(messages.notConfigured());
    if (signal.aborted) throw cancelReason(signal);
    const encoded = encodeBatch(batch);
    const wire = this.buffers.enabled
      ? { ...encoded, args: this.buffers.share(batch.callId, encoded.args) }
      : encoded;
    const status = new StatusSlot();
    const controller = new AbortController();
    // why we stopped the batch ourselves (abort, timeout, terminate); piscina then rejects with an AbortError
    let stopReason: unknown;
    const stop = (reason: unknown) => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      controller.abort(reason);
    };
    const callBatches = this.batchesOf(signal);
    callBatches.add(stop);
    const watch =
      timeout === null
        ? undefined
        : watchTaskTimeout(
            timeout,
            () => status.running(),
            (position) => {
              const taskIndex = batch.firstIndex + position;
              stop(
                new TaskTimeoutError(coreMessages.call.timedOut(taskIndex, timeout), {
                  taskIndex,
                  timeoutMs: timeout,
                }),
              );
            },
          );
    this.running.add(stop);
    let result: WireResult;
    try {
      result = await pool.run(
        { wire, status: status.buffer, timed: timeout !== null },
        { signal: controller.signal },
      );
    } catch (error) {
      if (stopReason !== undefined) throw stopReason;
      throw explainFailure(error, batch, status);
    } finally {
      watch?.stop();
      callBatches.delete(stop);
      this.running.delete(stop);
    }
    return decodeResult(batch, result);
  }

  private batchesOf(signal: AbortSignal): Set<Stop> {
    let batches = this.byCall.get(signal);
    if (batches === undefined) {
      const set = new Set<Stop>();
      batches = set;
      this.byCall.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          for (const stop of [...set]) stop(cancelReason(signal));
        },
        { once: true },
      );
    }
    return batches;
  }

  /**
   * Releases this instance: stops its batches still running (their threads are replaced), other
   * instances' work is untouched; the shared pool stays for them (see shutdownWorkerThreadsPools).
   */
  override async terminate(): Promise<void> {
    const reason = new CallCancelledError(coreMessages.call.cancelled());
    for (const stop of [...this.running]) stop(reason);
    this.pool = undefined;
  }
}

type Stop = (reason: unknown) => void;

function cancelReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CallCancelledError(coreMessages.call.cancelled());
}
