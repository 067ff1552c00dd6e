/**
 * What a backend's rejection of a batch means for the call: the error the caller gets, the values
 * of the batch's tasks that completed before it (from a BatchFailure, see errors.ts), and the
 * index of the failing task (-1 when no task is to blame: a crash between tasks, a backend error).
 */
import type { ParallelBackend } from './backend.js';
import type { TaskBatch } from './batch.js';
import { batchFailureOf, taskIndexOf, withTaskIndex } from './errors.js';
import { messages } from './messages.js';

export interface BatchRejection {
  readonly error: unknown;
  readonly completed: ArrayLike<unknown>;
  readonly index: number;
}

const warned = new WeakSet<object>();

export function readRejection(
  batch: TaskBatch,
  rejection: unknown,
  backend: ParallelBackend,
): BatchRejection {
  const failure = batchFailureOf(rejection);
  if (failure !== undefined) {
    // a backend that wrapped the BatchFailure: the caller sees the backend's error, with the values
    const error = failure === rejection ? failure.error : rejection;
    const index = batch.firstIndex + failure.completed.length;
    if (taskIndexOf(error) === undefined) withTaskIndex(error, index);
    return { error, completed: failure.completed, index };
  }
  const index = taskIndexOf(rejection);
  if (index === undefined || index < batch.firstIndex || index >= batch.firstIndex + batch.size)
    return { error: rejection, completed: [], index: -1 };
  // the values of the batch's tasks before the failing one are lost: say so, once per backend
  if (index > batch.firstIndex && !warned.has(backend)) {
    warned.add(backend);
    process.emitWarning(messages.call.lostCompleted(backend.name, index), 'ParajobWarning');
  }
  return { error: rejection, completed: [], index };
}
