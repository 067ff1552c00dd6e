/**
 * @parajob/core — joblib's Parallel for Node.js: the user API. Backend authors import from
 * `@parajob/core/backend`; adapters register themselves by name.
 */

export type { ParallelBackend } from './backend.js';
export { type ParallelConfig, parallelConfig } from './config.js';
export { type CpuCountInfo, cpuCount, cpuCountInfo } from './cpu-count.js';
export { Delayed, delayed, type TaskFunction } from './delayed.js';
export { type ErrorClass, registerErrorClass } from './error-classes.js';
export {
  BackendUnavailableError,
  CallCancelledError,
  IncompatibleCoreError,
  isTaskError,
  SerializationError,
  type TaskError,
  TaskTimeoutError,
  taskIndexOf,
  WorkerCrashedError,
} from './errors.js';
export { MAX_NESTING_DEPTH, Parallel, type ParallelOptions } from './parallel.js';
export type { ProgressInfo } from './progress.js';
export { type BackendFactory, listBackends, registerBackend } from './registry.js';
export { effectiveNJobs, getActiveBackend } from './resolve.js';
export {
  sharedArray,
  type TypedArray,
  type TypedArrayConstructor,
  toShared,
} from './shared-array.js';
export { log } from './status-line.js';
export { type TaskRef, task } from './task.js';

import { registerBackend } from './registry.js';
import { SequentialBackend } from './sequential.js';

registerBackend('sequential', () => new SequentialBackend());
