/**
 * One call's dispatch loop (DESIGN §4, after joblib): pull the input lazily, cut it into batches,
 * keep `preDispatch` tasks ahead, dispatch one more batch whenever one completes, keep output in
 * input order. Results are awaited, never polled.
 *
 * One loop decides everything, and the call's `phase` says where it is:
 *   warming → dispatching → finished
 *        ↘ settling (a task failed; iterators) → failed
 *   any non-final phase → failed (first error in run(), abort, close()) or cancelled (iterator left)
 * Batch completions only store their values and wake the loop.
 */
import { setMaxListeners } from 'node:events';
import type { AutoBatching } from './auto-batching.js';
import type { NestedBackend, ParallelBackend, SubmitOptions } from './backend.js';
import { TaskBatch, TaskFailure } from './batch.js';
import { readRejection } from './batch-rejection.js';
import { CallCancelledError } from './errors.js';
import { messages } from './messages.js';
import type { CallState, ProgressReporter } from './progress.js';
import { type OutputMode, ResultBuffer } from './results.js';
import { TaskSource } from './task-source.js';
import { TaskTable } from './task-table.js';
import { giveWay, TimeSlice } from './time-slice.js';

export interface CallParams {
  readonly callId: string;
  readonly backend: ParallelBackend;
  /** Workers the backend configured. */
  readonly workers: number;
  /** Run in the caller, one batch at a time (nJobs 1). */
  readonly inCaller: boolean;
  readonly preDispatch: number;
  readonly batchSize: number | 'auto';
  /** Auto-batching for this call: the backend's own, or the Parallel's (kept across its calls). */
  readonly batching: Pick<AutoBatching, 'computeBatchSize' | 'batchCompleted'>;
  readonly timeout: number | null;
  readonly signal: AbortSignal | undefined;
  readonly reporter: ProgressReporter;
  readonly nested: NestedBackend | null;
  /** Depth of the tasks: the number of Parallel calls enclosing them. */
  readonly depth: number;
  readonly mode: OutputMode;
  readonly verbose: number;
}

/**
 * - warming: dispatching the first `preDispatch` tasks, without waiting for completions (joblib's _start)
 * - dispatching: one more batch per completed batch
 * - settling: a task failed (iterator modes): nothing more is dispatched; the batches of earlier
 *   tasks still running are awaited, so every result before the failing task is delivered
 * - finished, failed, cancelled: the call's outcome is settled (batches may still be draining)
 */
export type CallPhase = 'warming' | 'dispatching' | 'settling' | 'finished' | 'failed' | 'cancelled';

interface ReadyBatch {
  readonly first: number;
  readonly table: TaskTable;
}

/** The failure a call ends with; `index` is the failing task's, or -1 when no task is to blame. */
interface Failure {
  readonly error: unknown;
  readonly index: number;
}

export class Call {
  private phase: CallPhase = 'warming';
  private failure: Failure | null = null;
  private readonly controller = new AbortController();
  private readonly submitOptions: SubmitOptions;
  private readonly source: TaskSource;
  private readonly buffer: ResultBuffer;
  private readonly ready: ReadyBatch[] = [];
  private readonly inFlight = new Set<TaskBatch>();
  private credits = 0;
  private completed = 0;
  private consumed = 0;
  private dispatched = 0;
  private dispatchedBatches = 0;
  private lastBatchSize = 1;
  private lastDurationMs = 0;
  /** Wakes the loop (a batch settled, the consumer took a result, the call stopped). */
  private wakeLoop: (() => void) | null = null;
  private readonly slice = new TimeSlice(10, 16);
  /** Wakes an iterator waiting for the next result. */
  private waiter: (() => void) | null = null;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  /** Settles when the loop has ended and none of the call's batches runs any more. */
  private readonly drained: Promise<void>;
  private resolveDrained!: () => void;
  private readonly onUserAbort = () =>
    this.end('failed', {
      error: this.p.signal!.reason ?? new CallCancelledError(messages.call.aborted()),
      index: -1,
    });

  constructor(
    private readonly p: CallParams,
    tasks: Iterable<unknown> | AsyncIterable<unknown>,
  ) {
    this.source = new TaskSource(tasks);
    this.buffer = new ResultBuffer(p.mode);
    // every in-flight batch may listen for the call's abort: that is not a leak
    setMaxListeners(Number.POSITIVE_INFINITY, this.controller.signal);
    this.submitOptions = { signal: this.controller.signal, timeout: p.timeout };
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // a rejection nobody awaits (iterator modes) must not become an unhandled rejection
    this.done.catch(() => {});
    this.drained = new Promise<void>((resolve) => (this.resolveDrained = resolve));
  }

  get knownLength(): number | null {
    return this.source.knownLength;
  }

  start(): void {
    if (this.p.signal?.aborted) {
      this.onUserAbort();
      this.resolveDrained();
      return;
    }
    this.p.signal?.addEventListener('abort', this.onUserAbort, { once: true });
    this.p.backend.startCall?.(this.p.callId);
    void this.loop();
  }

  /** Resolves to all results in input order (list and settled modes). */
  async results(): Promise<unknown[]> {
    await this.done;
    return this.buffer.all();
  }

  /** Results as they become available: in input order (iter) or completion order (iterUnordered). */
  async *iterate(): AsyncGenerator<unknown, void, undefined> {
    try {
      for (;;) {
        // after a failure, results that were already done still come first
        const next = this.buffer.take();
        if (next !== undefined) {
          this.consumed++;
          this.wake();
          yield next.value;
          continue;
        }
        if (this.phase === 'failed') throw this.failure!.error;
        if (this.phase === 'finished' || this.phase === 'cancelled') return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.cancel();
    }
  }

  /** Stops the call quietly (an iterator left early): no more dispatch, running tasks aborted. */
  cancel(): void {
    this.end('cancelled', null);
  }

  /** close() during the call: it rejects (run, runSettled, a pending next()) with a CallCancelledError. */
  close(): void {
    this.end('failed', { error: new CallCancelledError(messages.call.closedDuringCall()), index: -1 });
  }

  /** Settles when the call has ended and none of its batches is running any more. */
  whenDrained(): Promise<void> {
    return this.drained;
  }

  private get isOver(): boolean {
    return this.phase === 'finished' || this.phase === 'failed' || this.phase === 'cancelled';
  }

  private isDispatching(): boolean {
    return this.phase === 'warming' || this.phase === 'dispatching';
  }

  private state(finished: boolean): CallState {
    return {
      completed: this.completed,
      dispatched: this.dispatched,
      dispatchedBatches: this.dispatchedBatches,
      // joblib's "original iterator consumed": every task pulled and dispatched, so the total is known
      inputExhausted: this.source.exhausted && this.ready.length === 0,
      batchSize: this.lastBatchSize,
      finished,
    };
  }

  private wake(): void {
    const w = this.wakeLoop;
    this.wakeLoop = null;
    w?.();
  }

  private notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The call's one loop: dispatches, then decides how the call ends, then waits for its batches to drain. */
  private async loop(): Promise<void> {
    try {
      while (!this.isOver) {
        if (this.phase === 'settling') {
          if (this.earlierInFlight()) await this.idle();
          else this.end('failed', this.failure);
          continue;
        }
        if (this.source.exhausted && this.ready.length === 0) {
          if (this.inFlight.size > 0) await this.idle();
          else this.end('finished', null);
          continue;
        }
        if (!this.mayDispatch()) {
          await this.idle();
          continue;
        }
        // joblib asks for the batch size at every dispatch: its growth depends on being asked
        this.lastBatchSize = this.computeBatchSize();
        if (this.ready.length === 0 && !(await this.pull(this.lastBatchSize))) continue;
        // the call may have stopped while the input was read
        if (!this.isDispatching() || this.ready.length === 0) continue;
        if (this.phase === 'dispatching') this.credits--;
        const running = this.submit(this.ready.shift()!);
        // nJobs 1: joblib's fast path, one batch at a time in the caller
        if (this.p.inCaller) await running;
        else if (this.slice.expired()) {
          await giveWay();
          this.slice.restart();
        }
      }
    } catch (error) {
      // the input threw (or a progress callback did)
      this.end('failed', { error, index: -1 });
    }
    while (this.inFlight.size > 0) await this.idle();
    this.p.signal?.removeEventListener('abort', this.onUserAbort);
    try {
      await this.p.backend.stopCall?.(this.p.callId);
    } catch {
      // releasing per-call resources failing must not leave close() waiting
    }
    this.resolveDrained();
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeLoop = () => {
        this.slice.restart();
        resolve();
      };
    });
  }

  /** May the loop send (or, in the caller, run) another batch now? */
  private mayDispatch(): boolean {
    if (!this.hasRoom()) return false;
    if (this.p.inCaller) return true;
    if (this.phase === 'warming') {
      if (this.ready.length > 0 || this.source.taken < this.p.preDispatch) return true;
      this.phase = 'dispatching';
    }
    return this.credits > 0;
  }

  /** Iterator modes only run ahead of their consumer by a bounded amount. */
  private hasRoom(): boolean {
    if (this.p.mode === 'list' || this.p.mode === 'settled') return true;
    const finitePre = Number.isFinite(this.p.preDispatch) ? this.p.preDispatch : 0;
    const ahead = this.completed - this.consumed;
    return ahead < Math.max(finitePre, 2 * this.lastBatchSize * this.p.workers, 2);
  }

  private computeBatchSize(): number {
    if (this.p.batchSize !== 'auto') return this.p.batchSize;
    const size = this.p.batching.computeBatchSize();
    if (size !== this.lastBatchSize && this.p.verbose >= 10 && !this.p.inCaller) {
      const why = size > this.lastBatchSize ? 'fast' : 'slow';
      this.p.reporter.print(
        `Batch computation too ${why} (${(this.lastDurationMs / 1000).toFixed(4)}s.) Setting batch_size=${size}.`,
      );
    }
    return size;
  }

  /** Pulls the next tasks from the input into ready batches; false when the input had none left. */
  private async pull(size: number): Promise<boolean> {
    if (this.p.inCaller) {
      const table = this.newTable(size);
      const count = this.source.isAsync
        ? await this.source.fill(table, size)
        : this.source.fillSync(table, size);
      if (count > 0) this.ready.push({ first: this.source.taken - count, table });
      return count > 0;
    }
    const workers = this.p.workers;
    const big = size * workers;
    const limit =
      this.phase === 'warming' ? this.p.preDispatch - this.source.taken : Number.POSITIVE_INFINITY;
    const n = Math.min(big, limit);
    const table = this.newTable(n);
    const count = this.source.isAsync ? await this.source.fill(table, n) : this.source.fillSync(table, n);
    if (count === 0 || this.isOver) return false;
    const first = this.source.taken - count;
    // at the end of the input, smaller batches so the last workers do not starve
    const atEnd = n === big && count < big;
    const per = Math.max(1, Math.floor(count / (atEnd ? 10 * workers : workers)));
    if (per >= count) this.ready.push({ first, table });
    else
      for (let i = 0; i < count; i += per)
        this.ready.push({ first: first + i, table: table.slice(i, Math.min(i + per, count)) });
    return true;
  }

  /** A table for the next `n` tasks (fewer when the input's length says so). */
  private newTable(n: number): TaskTable {
    return new TaskTable(Math.min(n, this.source.remaining ?? n));
  }

  /** Sends (or runs, in the caller) one batch; settles once its outcome is recorded. */
  private submit({ first, table }: ReadyBatch): Promise<void> {
    const batch = new TaskBatch({
      callId: this.p.callId,
      firstIndex: first,
      tasks: table,
      nested: this.p.inCaller ? null : this.p.nested,
      depth: this.p.depth,
      settle: this.p.mode === 'settled',
    });
    this.inFlight.add(batch);
    this.dispatched += table.length;
    this.dispatchedBatches++;
    const started = performance.now();
    let promise: Promise<ArrayLike<unknown>>;
    try {
      promise = this.p.inCaller
        ? batch.run({ signal: this.controller.signal })
        : this.p.backend.submit(batch, this.submitOptions);
    } catch (error) {
      promise = Promise.reject(error);
    }
    return (
      promise
        .then(
          (values) => this.onBatchDone(batch, values, started),
          (error) => this.onBatchError(batch, error),
        )
        // a throwing onProgress callback (or backend hook) fails the call instead of going unhandled
        .catch((error: unknown) => this.end('failed', { error, index: -1 }))
        .finally(() => {
          this.inFlight.delete(batch);
          this.wake();
        })
    );
  }

  private onBatchDone(batch: TaskBatch, values: ArrayLike<unknown>, started: number): void {
    if (this.isOver) return;
    const duration = performance.now() - started;
    this.lastDurationMs = duration;
    if (this.p.batchSize === 'auto') this.p.batching.batchCompleted(batch.size, duration);
    this.stored(batch.firstIndex, values);
  }

  /** Values reached the buffer: count them, report progress, free a dispatch credit. */
  private stored(first: number, values: ArrayLike<unknown>): void {
    this.buffer.store(first, values);
    this.completed += values.length;
    this.credits++;
    this.p.reporter.update(this.state(false));
    this.notify();
  }

  private onBatchError(batch: TaskBatch, rejection: unknown): void {
    if (this.isOver) return;
    const { error, completed, index } = readRejection(batch, rejection, this.p.backend);
    if (this.p.mode === 'settled') {
      this.settleFailure(batch, error, completed, index);
      return;
    }
    if (this.p.mode === 'list') {
      this.end('failed', { error, index });
      return;
    }
    if (completed.length > 0) this.stored(batch.firstIndex, completed);
    // iterators: the earliest failing task wins; the batches before it finish first
    if (this.failure === null || (index >= 0 && index < this.failure.index)) this.failure = { error, index };
    this.phase = 'settling';
    this.ready.length = 0;
    this.source.close();
  }

  /** runSettled: the failing task gets the error; the tasks after it in its batch run again, one per batch. */
  private settleFailure(
    batch: TaskBatch,
    error: unknown,
    completed: ArrayLike<unknown>,
    index: number,
  ): void {
    if (completed.length > 0) this.buffer.store(batch.firstIndex, completed);
    if (index >= 0) {
      const at = index - batch.firstIndex;
      this.buffer.storeOne(index, new TaskFailure(error));
      this.completed += completed.length + 1;
      // with a BatchFailure the tasks before `at` are done; without one they run again too
      for (let pos = batch.size - 1; pos >= completed.length; pos--) {
        if (pos !== at)
          this.ready.unshift({ first: batch.firstIndex + pos, table: batch.table.slice(pos, pos + 1) });
      }
    } else {
      for (let pos = completed.length; pos < batch.size; pos++)
        this.buffer.storeOne(batch.firstIndex + pos, new TaskFailure(error));
      this.completed += batch.size;
    }
    this.credits++;
    this.p.reporter.update(this.state(false));
    this.notify();
  }

  /** Settling: is a batch of tasks before the failing one still running? */
  private earlierInFlight(): boolean {
    const index = this.failure!.index;
    if (index < 0) return false;
    for (const batch of this.inFlight) if (batch.firstIndex < index) return true;
    return false;
  }

  /** The one place a call's outcome is settled: stops dispatch, aborts what runs, wakes everyone. */
  private end(phase: 'finished' | 'failed' | 'cancelled', failure: Failure | null): void {
    if (this.isOver) return;
    this.phase = phase;
    this.ready.length = 0;
    if (phase === 'finished') {
      this.p.reporter.update(this.state(true));
      this.resolveDone();
    } else {
      this.source.close();
      this.controller.abort(new CallCancelledError(messages.call.cancelled()));
      if (phase === 'failed') {
        this.failure = failure;
        this.rejectDone(failure!.error);
      } else this.resolveDone();
    }
    this.wake();
    this.notify();
  }
}
