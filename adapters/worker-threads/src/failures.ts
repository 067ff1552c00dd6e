/**
 * Turns a piscina rejection that is not ours (not an abort or timeout we asked for) into the
 * error parajob promises: a task's own errors never arrive here (the worker returns them in its
 * answer), so what is left is an argument that could not be posted, or a worker that died.
 */
import {
  explainUnsendableBatch,
  SerializationError,
  type TaskBatch,
  WorkerCrashedError,
} from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { messages } from './messages.js';
import type { StatusSlot } from './status-slot.js';

const BACKEND = 'worker-threads';

/** `EXIT(n)`, `OUT_OF_MEMORY`, or `UNCAUGHT` (an error thrown outside the task's own call, e.g. in a timer). */
export function exitReasonOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'OUT_OF_MEMORY';
  const exit = typeof e?.message === 'string' ? /^worker exited with code: (-?\d+)$/.exec(e.message) : null;
  if (exit) return `EXIT(${exit[1]})`;
  return 'UNCAUGHT';
}

/** `batch` is the TaskBatch, or only its first index for a wire batch run as received (remote workers). */
export function explainFailure(error: unknown, batch: TaskBatch | number, status: StatusSlot): Error {
  const position = status.current;
  const first = typeof batch === 'number' ? batch : batch.firstIndex;
  const taskIndex = position < 0 ? undefined : first + position;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'DataCloneError') {
    // before any task started: the parent could not post the arguments (nothing reached a worker)
    // (a wire batch run as received was decoded from bytes: its arguments always post)
    if (taskIndex === undefined && typeof batch !== 'number') return explainUnsendableBatch(batch, error);
    // after: the worker could not post its answer although its own check passed
    return new SerializationError(messages.unsendableResult(taskIndex ?? first), {
      taskIndex: taskIndex ?? first,
      path: 'result',
      phase: 'result',
      cause: error,
    });
  }
  if (name === 'AbortError') {
    // piscina aborts tasks on its own only when the pool is destroyed
    return new WorkerCrashedError(messages.poolShutDown(), {
      taskIndex,
      exitReason: 'POOL_SHUT_DOWN',
      cause: error,
    });
  }
  const exitReason = exitReasonOf(error);
  return new WorkerCrashedError(coreMessages.crash.worker(exitReason, taskIndex, BACKEND), {
    taskIndex,
    exitReason,
    cause: error,
  });
}
