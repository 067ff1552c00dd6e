/**
 * One call's dispatch loop (DESIGN §4, after joblib): pull the input lazily, cut it into batches,
 * keep `preDispatch` tasks ahead, dispatch one more batch whenever one completes, keep output in
 * input order, and on the first error stop dispatching, drop what is queued, abort what runs and
 * reject. Results are awaited, never polled.
 */
import { setMaxListeners } from 'node:events';
import type { AutoBatching } from './auto-batching.js';
import type { NestedBackend, ParallelBackend, SubmitOptions } from './backend.js';
import { completedBeforeFailure, TaskBatch, TaskFailure } from './batch.js';
import { CallCancelledError } from './errors.js';
import { messages } from './messages.js';
import type { CallState, ProgressReporter } from './progress.js';
import { type OutputMode, ResultBuffer } from './results.js';
import { TaskSource } from './task-source.js';
import { TaskTable } from './task-table.js';

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

interface ReadyBatch {
  readonly first: number;
  readonly table: TaskTable;
}

export class Call {
  private readonly controller = new AbortController();
  private readonly submitOptions: SubmitOptions;
  private readonly source: TaskSource;
  private readonly buffer: ResultBuffer;
  private readonly ready: ReadyBatch[] = [];
  private inFlight = 0;
  private completed = 0;
  private consumed = 0;
  private dispatched = 0;
  private dispatchedBatches = 0;
  private credits = 0;
  private initialPhase = true;
  private pumping = false;
  private stopped = false;
  private finished = false;
  private failure: { error: unknown } | null = null;
  private lastBatchSize = 1;
  private lastDurationMs = 0;
  private callStopped = false;
  private waiter: (() => void) | null = null;
  private roomWaiter: (() => void) | null = null;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private readonly onUserAbort = () =>
    this.fail(this.p.signal!.reason ?? new CallCancelledError(messages.call.aborted()));

  constructor(
    private readonly p: CallParams,
    tasks: Iterable<unknown> | AsyncIterable<unknown>,
  ) {
    this.source = new TaskSource(tasks);
    this.buffer = new ResultBuffer(p.mode);
    // every batch in flight listens for the call's abort: as many listeners as batches (nJobs plus
    // pre-dispatch), not a leak, so no MaxListenersExceededWarning at 11
    setMaxListeners(0, this.controller.signal);
    this.submitOptions = { signal: this.controller.signal, timeout: p.timeout };
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // a rejection nobody awaits (iterator modes) must not become an unhandled rejection
    this.done.catch(() => {});
  }

  get knownLength(): number | null {
    return this.source.knownLength;
  }

  start(): void {
    if (this.p.signal?.aborted) {
      this.onUserAbort();
      return;
    }
    this.p.signal?.addEventListener('abort', this.onUserAbort, { once: true });
    this.p.backend.startCall?.(this.p.callId);
    void (this.p.inCaller ? this.runInCaller() : this.pump());
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
        // cancelled (close() or the consumer left): nothing more will come
        if (this.stopped && !this.finished && !this.failure) return;
        // after a failure, results that were already done still come first
        const next = this.buffer.take();
        if (next !== undefined) {
          this.onConsumed();
          yield next.value;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.finished) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.cancel();
    }
  }

  /** Stops the call quietly (an iterator left early): no more dispatch, running tasks aborted. */
  cancel(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopWork(new CallCancelledError(messages.call.cancelled()));
    this.resolveDone();
  }

  /** Settles when the call has ended and none of its batches is running any more. */
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  whenDrained(): Promise<void> {
    if (this.callStopped) return Promise.resolve();
    this.drained ??= new Promise<void>((resolve) => (this.resolveDrained = resolve));
    return this.drained;
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

  private notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private get buffered(): number {
    return this.completed - this.consumed;
  }

  /** Iterator modes only run ahead of their consumer by a bounded amount. */
  private hasRoom(): boolean {
    if (this.p.mode === 'list' || this.p.mode === 'settled') return true;
    const finitePre = Number.isFinite(this.p.preDispatch) ? this.p.preDispatch : 0;
    return this.buffered < Math.max(finitePre, 2 * this.lastBatchSize * this.p.workers, 2);
  }

  private onConsumed(): void {
    this.consumed++;
    if (this.stopped || !this.hasRoom()) return;
    const room = this.roomWaiter;
    this.roomWaiter = null;
    room?.();
    if (!this.p.inCaller && this.credits > 0) void this.pump();
  }

  private computeBatchSize(): number {
    if (this.p.batchSize !== 'auto') return this.p.batchSize;
    const size = this.p.batching.computeBatchSize();
    if (size !== this.lastBatchSize && this.p.verbose >= 10) {
      const why = size > this.lastBatchSize ? 'fast' : 'slow';
      this.p.reporter.print(
        `Batch computation too ${why} (${(this.lastDurationMs / 1000).toFixed(4)}s.) Setting batch_size=${size}.`,
      );
    }
    return size;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      while (!this.stopped) {
        let limit = Number.POSITIVE_INFINITY;
        if (this.initialPhase) {
          // joblib's _start: dispatch until preDispatch tasks have been pulled and their batches sent
          if (this.ready.length > 0) limit = 0;
          else if (this.source.taken < this.p.preDispatch && !this.source.exhausted)
            limit = this.p.preDispatch - this.source.taken;
          else {
            this.initialPhase = false;
            continue;
          }
        } else {
          if (this.credits <= 0 || !this.hasRoom()) break;
          this.credits--;
        }
        if (!(await this.dispatchOneBatch(limit))) break;
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
    this.maybeStopCall();
    this.checkFinished();
  }

  private async dispatchOneBatch(limit: number): Promise<boolean> {
    const size = this.computeBatchSize();
    this.lastBatchSize = size;
    if (this.ready.length === 0) {
      if (limit <= 0) return false;
      const workers = this.p.workers;
      const big = size * workers;
      const n = Math.min(big, limit);
      const table = this.newTable(n);
      const count = this.source.isAsync ? await this.source.fill(table, n) : this.source.fillSync(table, n);
      if (this.stopped || count === 0) return false;
      const first = this.source.taken - count;
      // at the end of the input, smaller batches so the last workers do not starve
      const atEnd = n === big && count < big;
      const per = Math.max(1, Math.floor(count / (atEnd ? 10 * workers : workers)));
      if (per >= count) this.ready.push({ first, table });
      else
        for (let i = 0; i < count; i += per)
          this.ready.push({ first: first + i, table: table.slice(i, Math.min(i + per, count)) });
    }
    const next = this.ready.shift()!;
    this.submit(next.first, next.table);
    return true;
  }

  /** A table for the next `n` tasks (fewer when the input's length says so). */
  private newTable(n: number): TaskTable {
    return new TaskTable(Math.min(n, this.source.remaining ?? n));
  }

  private newBatch(first: number, table: TaskTable, nested: NestedBackend | null): TaskBatch {
    return new TaskBatch({
      callId: this.p.callId,
      firstIndex: first,
      tasks: table,
      nested,
      depth: this.p.depth,
      settle: this.p.mode === 'settled',
    });
  }

  private submit(first: number, table: TaskTable): void {
    const batch = this.newBatch(first, table, this.p.nested);
    this.inFlight++;
    this.dispatched += table.length;
    this.dispatchedBatches++;
    const started = performance.now();
    let promise: Promise<ArrayLike<unknown>>;
    try {
      promise = this.p.backend.submit(batch, this.submitOptions);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise
      .then(
        (values) => this.onBatchDone(batch, values, started),
        (error) => this.onBatchError(batch, error),
      )
      // a throwing onProgress callback (or backend hook) fails the call instead of going unhandled
      .catch((error: unknown) => this.fail(error));
  }

  private onBatchDone(batch: TaskBatch, values: ArrayLike<unknown>, started: number): void {
    this.inFlight--;
    if (this.stopped) {
      this.maybeStopCall();
      return;
    }
    const duration = performance.now() - started;
    this.lastDurationMs = duration;
    if (this.p.batchSize === 'auto') this.p.batching.batchCompleted(batch.size, duration);
    this.buffer.store(batch.firstIndex, values);
    this.completed += batch.size;
    this.credits++;
    this.p.reporter.update(this.state(false));
    this.notify();
    void this.pump();
  }

  private onBatchError(batch: TaskBatch, error: unknown): void {
    this.inFlight--;
    if (this.stopped) {
      this.maybeStopCall();
      return;
    }
    if (this.p.mode !== 'settled') {
      this.keepCompletedBefore(batch, error);
      this.fail(error);
      return;
    }
    // settled: the failing task gets the error; the others of its batch run again, one per batch
    const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
    const at = typeof index === 'number' ? index - batch.firstIndex : -1;
    if (at >= 0 && at < batch.size) {
      this.buffer.storeOne(batch.firstIndex + at, new TaskFailure(error));
      this.completed++;
      for (let pos = batch.size - 1; pos >= 0; pos--) {
        if (pos !== at)
          this.ready.unshift({ first: batch.firstIndex + pos, table: batch.table.slice(pos, pos + 1) });
      }
    } else {
      for (let pos = 0; pos < batch.size; pos++)
        this.buffer.storeOne(batch.firstIndex + pos, new TaskFailure(error));
      this.completed += batch.size;
    }
    this.credits++;
    this.p.reporter.update(this.state(false));
    this.notify();
    void this.pump();
  }

  /** The tasks of a failed batch that ran before the failing one: iterators still deliver them. */
  private keepCompletedBefore(batch: TaskBatch, error: unknown): void {
    const values = completedBeforeFailure(error);
    if (values && this.p.mode !== 'list') this.buffer.store(batch.firstIndex, values);
  }

  /** nJobs 1: joblib's fast path, tasks run in the caller one batch at a time, lazily. */
  private async runInCaller(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.stopped) {
        if (!this.hasRoom()) {
          await new Promise<void>((resolve) => (this.roomWaiter = resolve));
          continue;
        }
        // auto: joblib's heuristic here too, so many tiny tasks do not each pay for a batch
        const size = this.p.batchSize === 'auto' ? this.p.batching.computeBatchSize() : this.p.batchSize;
        this.lastBatchSize = size;
        const table = this.newTable(size);
        const count = this.source.isAsync
          ? await this.source.fill(table, size)
          : this.source.fillSync(table, size);
        if (this.stopped || count === 0) break;
        const batch = this.newBatch(this.source.taken - count, table, null);
        this.inFlight++;
        this.dispatched += count;
        this.dispatchedBatches++;
        let values: unknown[];
        const started = performance.now();
        try {
          values = await batch.run({ signal: this.controller.signal });
        } catch (error) {
          if (!this.stopped) this.keepCompletedBefore(batch, error);
          throw error;
        } finally {
          this.inFlight--;
        }
        if (this.stopped) break;
        this.p.batching.batchCompleted(count, performance.now() - started);
        this.buffer.store(batch.firstIndex, values);
        this.completed += count;
        this.p.reporter.update(this.state(false));
        this.notify();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
    this.maybeStopCall();
    this.checkFinished();
  }

  private checkFinished(): void {
    if (this.stopped || this.pumping) return;
    if (!this.source.exhausted || this.ready.length > 0 || this.inFlight > 0) return;
    this.stopped = true;
    this.finished = true;
    this.p.reporter.update(this.state(true));
    this.maybeStopCall();
    this.notify();
    this.resolveDone();
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failure = { error };
    this.stopWork(new CallCancelledError(messages.call.cancelled()));
    this.notify();
    this.rejectDone(error);
  }

  private stopWork(reason: unknown): void {
    this.ready.length = 0;
    this.source.close();
    this.controller.abort(reason);
    const room = this.roomWaiter;
    this.roomWaiter = null;
    room?.();
    this.maybeStopCall();
  }

  private maybeStopCall(): void {
    if (this.callStopped || !this.stopped || this.inFlight > 0 || this.pumping) return;
    this.callStopped = true;
    this.p.signal?.removeEventListener('abort', this.onUserAbort);
    const stop = this.p.backend.stopCall?.(this.p.callId);
    const drained = () => this.resolveDrained?.();
    if (stop) stop.then(drained, drained);
    else drained();
  }
}
