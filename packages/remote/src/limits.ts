/**
 * Recycling limits of a remote worker's local worker-threads pool, named as on the local
 * backends (`maxTasksPerWorker`, `maxMemoryPerWorker` in MB, `idleTimeout` in ms). Checked once
 * when a worker starts — before it connects or listens — so a bad value is an error naming the
 * option, never a failure of the first batch.
 */
import { messages } from './messages.js';

export interface WorkerLimits {
  /** A thread that has run this many tasks is replaced after its batch (never mid-task). Default: never. */
  readonly maxTasksPerWorker?: number;
  /** Heap limit of each thread in MB: a task over it fails with OUT_OF_MEMORY, a thread near it is replaced between batches. Default: none. */
  readonly maxMemoryPerWorker?: number;
  /** How long an idle thread is kept before it exits, in ms. Default 30 000. */
  readonly idleTimeout?: number;
}

/** The limits with only the given ones kept; throws a RangeError naming the option (and its flag). */
export function checkWorkerLimits(options: WorkerLimits): WorkerLimits {
  const { maxTasksPerWorker, maxMemoryPerWorker, idleTimeout } = options;
  const limits: { -readonly [K in keyof WorkerLimits]: number } = {};
  if (maxTasksPerWorker !== undefined) {
    if (!Number.isSafeInteger(maxTasksPerWorker) || maxTasksPerWorker < 1)
      throw new RangeError(messages.limits.maxTasksPerWorker(maxTasksPerWorker));
    limits.maxTasksPerWorker = maxTasksPerWorker;
  }
  if (maxMemoryPerWorker !== undefined) {
    if (
      typeof maxMemoryPerWorker !== 'number' ||
      !Number.isFinite(maxMemoryPerWorker) ||
      maxMemoryPerWorker <= 0
    )
      throw new RangeError(messages.limits.maxMemoryPerWorker(maxMemoryPerWorker));
    limits.maxMemoryPerWorker = maxMemoryPerWorker;
  }
  if (idleTimeout !== undefined) {
    if (!Number.isSafeInteger(idleTimeout) || idleTimeout < 0)
      throw new RangeError(messages.limits.idleTimeout(idleTimeout));
    limits.idleTimeout = idleTimeout;
  }
  return limits;
}
