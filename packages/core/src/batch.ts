/**
 * TaskBatch: a run of consecutive tasks of one call. In-process backends run it with `run()`;
 * out-of-process backends send `encodeBatch(batch)` and decode the worker's answer. The tasks are
 * stored column by column (TaskTable); `tasks` rebuilds them as `Delayed` objects on demand.
 */
import type { NestedBackend } from './backend.js';
import { currentScope, runInScope, type Scope } from './config.js';
import type { Delayed } from './delayed.js';
import { BatchFailure, CallCancelledError, TaskTimeoutError, withTaskIndex } from './errors.js';
import { messages } from './messages.js';
import { TaskTable } from './task-table.js';

/** In settled calls, a failed task's slot in a batch's results holds this marker instead of a value. */
export class TaskFailure {
  constructor(readonly error: unknown) {}
}

export interface InProcessRunOptions {
  readonly signal?: AbortSignal;
  /** Per-task limit in ms from each task's start; async tasks reject promptly, sync ones when they return. */
  readonly timeout?: number | null;
  readonly onTaskStart?: (position: number) => void;
}

export interface TaskBatchInit {
  readonly callId: string;
  readonly firstIndex: number;
  /** The tasks, as delayed calls or already laid out in a table (what the scheduler builds). */
  readonly tasks: readonly Delayed[] | TaskTable;
  /** Backend for Parallel calls made inside the tasks; null keeps the caller's config (sequential). */
  readonly nested: NestedBackend | null;
  /** Number of Parallel calls enclosing the tasks. */
  readonly depth: number;
  /** runSettled: run every task and report failures per task instead of stopping at the first. */
  readonly settle: boolean;
}

export class TaskBatch {
  readonly callId: string;
  /** Index (in the call's input order) of the first task; task `i` of the batch is `firstIndex + i`. */
  readonly firstIndex: number;
  /** The tasks' functions and arguments, column by column (see encodeBatch). */
  readonly table: TaskTable;
  readonly nested: NestedBackend | null;
  readonly depth: number;
  /** W3C trace context of the batch's span when tracing is on (set by the instrumentation hook). */
  traceparent: string | undefined = undefined;
  /** How long the worker ran it (ms), when its answer says (`WireResult.runMs`; set by decodeResult). */
  runMs: number | undefined = undefined;
  readonly settle: boolean;
  private delayed: readonly Delayed[] | undefined;

  constructor(init: TaskBatchInit) {
    this.callId = init.callId;
    this.firstIndex = init.firstIndex;
    if (init.tasks instanceof TaskTable) this.table = init.tasks;
    else {
      this.table = TaskTable.of(init.tasks);
      this.delayed = init.tasks;
    }
    this.nested = init.nested;
    this.depth = init.depth;
    this.settle = init.settle;
  }

  get size(): number {
    return this.table.length;
  }

  /** The tasks as `delayed(fn)(...args)` calls (built on first use; in-order, `size` of them). */
  get tasks(): readonly Delayed[] {
    this.delayed ??= this.table.toDelayed();
    return this.delayed;
  }

  /** The scope tasks run in: the nested backend, one level deeper. */
  taskScope(outer: Scope = currentScope()): Scope {
    if (this.nested === null) return { ...outer, depth: this.depth };
    return {
      config: { ...outer.config, backend: this.nested.backend, nJobs: this.nested.nJobs, backendOptions: {} },
      nestingLevel: this.nested.backend.nestingLevel,
      depth: this.depth,
    };
  }

  /**
   * Runs the tasks here, in order, with the nested-backend config applied. A failing task (not
   * settled) rejects with a BatchFailure holding its error and the values of the tasks before it.
   */
  run(options: InProcessRunOptions = {}): Promise<unknown[]> {
    return runInScope(this.taskScope(), () => this.runTasks(options));
  }

  private async runTasks({ signal, timeout = null, onTaskStart }: InProcessRunOptions): Promise<unknown[]> {
    const table = this.table;
    const size = table.length;
    const values = new Array<unknown>(size);
    // synchronous tasks cannot see an abort happen mid-batch: check at the start and after each await
    let checkAbort = true;
    for (let pos = 0; pos < size; pos++) {
      if (checkAbort && signal?.aborted)
        throw signal.reason ?? new CallCancelledError(messages.call.cancelled());
      checkAbort = false;
      const index = this.firstIndex + pos;
      onTaskStart?.(pos);
      const started = timeout === null ? 0 : performance.now();
      try {
        let value: unknown = table.call(pos);
        if (isThenable(value)) {
          value = await settleWithin(value, signal, timeout, index);
          checkAbort = true;
        }
        if (timeout !== null && performance.now() - started > timeout) {
          throw new TaskTimeoutError(messages.call.timedOut(index, timeout), {
            taskIndex: index,
            timeoutMs: timeout,
          });
        }
        values[pos] = value;
      } catch (error) {
        if (signal?.aborted) throw withTaskIndex(error, index);
        // the tasks before this one completed: the call still delivers them (iterators, settled)
        if (!this.settle) throw new BatchFailure(withTaskIndex(error, index), values.slice(0, pos));
        values[pos] = new TaskFailure(withTaskIndex(error, index));
      }
    }
    return values;
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** Awaits a task's promise, rejecting at once on abort or when the task's own time limit passes. */
function settleWithin(
  value: PromiseLike<unknown>,
  signal: AbortSignal | undefined,
  timeout: number | null,
  index: number,
) {
  if (!signal && timeout === null) return value;
  return new Promise<unknown>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () =>
      finish(() => reject(signal!.reason ?? new CallCancelledError(messages.call.cancelled())));
    const finish = (settle: () => void) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== null) {
      timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new TaskTimeoutError(messages.call.timedOut(index, timeout), {
                taskIndex: index,
                timeoutMs: timeout,
              }),
            ),
          ),
        timeout,
      );
    }
    value.then(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    );
  });
}
