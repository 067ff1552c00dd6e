/**
 * For remote workers (nats, grpc) that receive a wire batch and run it on a local pool backend
 * (worker threads) instead of in their own thread: resolve the functions here, under the worker's
 * allow-list, then hand the pool an ordinary TaskBatch and answer in the wire format.
 */
import type { ParallelBackend, SubmitOptions } from './backend.js';
import { TaskBatch, TaskFailure } from './batch.js';
import { createBackend, isRegistered } from './registry.js';
import { type RunBatchOptions, resolveFunction } from './runtime.js';
import { sequentialAt } from './sequential.js';
import { type SerializedError, serializeError } from './serialize-error.js';
import { task, taskRefOf } from './task.js';
import { TaskTable } from './task-table.js';
import type { WireBatch, WireResult } from './wire.js';

/** Resolves a batch's functions on this worker (allow-list applied) and rebuilds the TaskBatch. */
export async function taskBatchFromWire(
  wire: WireBatch,
  options: Pick<RunBatchOptions, 'resolveModule' | 'allowSource'> = {},
): Promise<TaskBatch> {
  const fns = await Promise.all(
    wire.fns.map(async (ref) => {
      const fn = await resolveFunction(ref, options);
      // a plain export (not marked with task()) is marked here, so the pool's threads import it by module
      if (ref.module !== undefined && taskRefOf(fn) === undefined) {
        const url = options.resolveModule ? options.resolveModule(ref) : ref.module;
        return task(url, fn, { name: ref.name });
      }
      return fn;
    }),
  );
  const tasks = TaskTable.fromLayout(fns, wire.fnOf, wire.size, wire.args, wire.columnar);
  const nested = wire.nested;
  return new TaskBatch({
    callId: wire.call,
    firstIndex: wire.first,
    tasks,
    nested:
      nested === null
        ? null
        : {
            backend: isRegistered(nested.backend)
              ? createBackend(nested.backend, {}, nested.level)
              : sequentialAt(nested.level),
            nJobs: nested.nJobs,
          },
    depth: wire.depth,
    settle: wire.settle,
  });
}

/** A pool's results as a wire answer (settled failures become `errors`). */
export function toWireResult(values: ArrayLike<unknown>): WireResult {
  // all numbers: forwarded as they are (a typed array holds no failure markers)
  if (!Array.isArray(values)) return { values: values as unknown[] };
  let errors: Array<readonly [number, SerializedError]> | undefined;
  for (let pos = 0; pos < values.length; pos++) {
    const v = values[pos];
    if (v instanceof TaskFailure) {
      (errors ??= []).push([pos, serializeError(v.error)]);
      values[pos] = undefined;
    }
  }
  return errors === undefined ? { values } : { values, errors };
}

/**
 * Runs a wire batch on a local pool backend and answers in the wire format. A task's error (one
 * with a `taskIndex` inside the batch, or a function that could not be resolved) is part of the
 * answer; anything else is thrown as is.
 */
export async function relayBatch(
  pool: ParallelBackend,
  wire: WireBatch,
  submit: SubmitOptions,
  options: Pick<RunBatchOptions, 'resolveModule' | 'allowSource'> = {},
): Promise<WireResult> {
  let batch: TaskBatch;
  try {
    batch = await taskBatchFromWire(wire, options);
  } catch (error) {
    return { values: [], error: { pos: 0, error: serializeError(error) } };
  }
  try {
    return toWireResult(await pool.submit(batch, submit));
  } catch (error) {
    const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
    const pos = typeof index === 'number' ? index - wire.first : -1;
    if (pos >= 0 && pos < wire.size) return { values: [], error: { pos, error: serializeError(error) } };
    throw error;
  }
}
