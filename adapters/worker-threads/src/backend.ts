/**
 * The worker-threads backend (parajob's default): batches run on a shared piscina pool of worker
 * threads; a timeout or an abort stops the thread running the task and piscina replaces it.
 */

import { MessageChannel } from 'node:worker_threads';
import {
  BackendBase,
  type BackendContext,
  CallCancelledError,
  decodeResult,
  encodeBatch,
  reportWorkerReplaced,
  type SubmitOptions,
  serializeError,
  type TaskBatch,
  TaskTimeoutError,
  type WireBatch,
  type WireResult,
  watchTaskTimeout,
} from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { explainFailure } from './failures.js';
import { messages } from './messages.js';
import { type ResolvedOptions, resolveOptions, type WorkerThreadsOptions } from './options.js';
import { keepStaffed, markProven, onPoolBroken, queueOf, sharedPool, type WorkerPool } from './pool.js';
import { answerOf } from './recycle.js';
import { LargeBufferSharing } from './shared-buffers.js';
import { StatusSlot } from './status-slot.js';
import type { WorkerTask } from './worker.js';

const BACKEND_NAME = 'worker-threads';

/** Worker threads do not share the caller's memory: for prefer/require they count as "processes" (BackendBase's defaults). */
export class WorkerThreadsBackend extends BackendBase {
  readonly name = BACKEND_NAME;
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
      idleTimeout: this.options.idleTimeout,
      batchesPerThread: this.options.batchesPerThread,
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

  async submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>> {
    if (options.signal.aborted) throw cancelReason(options.signal);
    const encoded = encodeBatch(batch);
    const wire = this.buffers.enabled
      ? { ...encoded, args: this.buffers.share(batch.callId, encoded.args) }
      : encoded;
    const outcome = await this.post(wire, options, {});
    if (outcome.kind === 'stopped') throw outcome.reason;
    if (outcome.kind === 'failed') throw explainFailure(outcome.error, batch, outcome.status);
    return decodeResult(batch, outcome.result);
  }

  /**
   * For remote workers (@parajob/remote): runs a wire batch as received, in this pool's threads,
   * and answers in the wire format — values that completed before a failure included. The
   * threads import each module as named in `wire.fns` (already resolved by the worker's policy)
   * and call only functions registered with task(); source functions run only with
   * `allowSource`. Never throws: a timeout, an abort or a lost thread becomes the answer's error.
   */
  async runWire(
    wire: WireBatch,
    options: SubmitOptions,
    remote: { allowSource: boolean },
  ): Promise<WireResult> {
    const outcome = options.signal.aborted
      ? ({ kind: 'stopped', reason: cancelReason(options.signal) } as const)
      : await this.post(wire, options, { allowSource: remote.allowSource });
    if (outcome.kind === 'done') return outcome.result;
    const error =
      outcome.kind === 'stopped' ? outcome.reason : explainFailure(outcome.error, wire.first, outcome.status);
    const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
    const pos =
      typeof index === 'number' && index >= wire.first && index < wire.first + wire.size
        ? index - wire.first
        : 0;
    return { values: [], error: { pos, error: serializeError(error) } };
  }

  /** Posts one wire batch to a thread, with its per-task timeout and the call's abort. */
  private async post(
    wire: WireBatch,
    { signal, timeout }: SubmitOptions,
    extra: { allowSource?: boolean },
  ): Promise<Posted> {
    const pool = this.pool;
    if (pool === undefined) throw new Error(messages.notConfigured());
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
              const taskIndex = wire.first + position;
              stop(
                new TaskTimeoutError(coreMessages.call.timedOut(taskIndex, timeout), {
                  taskIndex,
                  timeoutMs: timeout,
                }),
              );
            },
          );
    this.running.add(stop);
    // a pool whose workers cannot even start would keep this batch queued forever
    const unwatchPool = onPoolBroken(pool, stop);
    const recycle = this.options.recycle;
    // a thread that may retire after this batch answers on this port (see recycle.ts)
    const channel = recycle === null ? undefined : new MessageChannel();
    try {
      const task: WorkerTask = {
        wire,
        status: status.buffer,
        timed: timeout !== null,
        ...extra,
        ...(channel && recycle ? { recycle: { limits: recycle, port: channel.port2 } } : {}),
      };
      const runOptions = channel
        ? { signal: controller.signal, transferList: [channel.port2] }
        : { signal: controller.signal };
      // through the fair queue: this call's batches take turns with other calls' on the shared pool
      const result = await queueOf(pool).run(wire.call, controller.signal, () => pool.run(task, runOptions));
      markProven(pool);
      return { kind: 'done', result };
    } catch (error) {
      // the thread retired after answering (a limit reached): its exit is not a crash
      const answer = stopReason === undefined && channel ? answerOf(channel.port1) : undefined;
      if (answer !== undefined) {
        reportWorkerReplaced(BACKEND_NAME, 'recycle');
        return { kind: 'done', result: answer };
      }
      noteReplacement(stopReason, error, status);
      if (stopReason !== undefined) return { kind: 'stopped', reason: stopReason };
      return { kind: 'failed', error, status };
    } finally {
      unwatchPool();
      channel?.port1.close();
      watch?.stop();
      callBatches.delete(stop);
      this.running.delete(stop);
      // a stop or a crash may have taken the last thread while other batches wait in the pool
      keepStaffed(pool);
    }
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

/** How a posted batch ended: answered by its thread, stopped by us, or lost with its thread. */
type Posted =
  | { readonly kind: 'done'; readonly result: WireResult }
  | { readonly kind: 'stopped'; readonly reason: unknown }
  | { readonly kind: 'failed'; readonly error: unknown; readonly status: StatusSlot };

function cancelReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CallCancelledError(coreMessages.call.cancelled());
}

/**
 * A batch that did not answer cost its thread when it was stopped while running (piscina
 * terminates the thread for a timeout or an abort) or when the thread died: tell the observer.
 */
function noteReplacement(stopReason: unknown, error: unknown, status: StatusSlot): void {
  if (stopReason instanceof TaskTimeoutError) reportWorkerReplaced(BACKEND_NAME, 'timeout');
  else if (stopReason !== undefined) {
    if (status.current >= 0) reportWorkerReplaced(BACKEND_NAME, 'abort');
  } else {
    const name = (error as { name?: unknown } | null)?.name;
    // an argument that could not be posted, or the pool being destroyed, costs no thread
    if (name !== 'DataCloneError' && name !== 'AbortError') reportWorkerReplaced(BACKEND_NAME, 'crash');
  }
}
