/**
 * @parajob/core — joblib's Parallel for Node.js: the user API and the backend protocol.
 * Adapters (worker-threads, child-process, threads, nats, grpc) register themselves by name.
 */

export { AutoBatching, type AutoBatchingOptions } from './auto-batching.js';
// the backend protocol, for adapter and third-party backend authors
export type { BackendContext, NestedBackend, ParallelBackend, SubmitOptions } from './backend.js';
export { type InProcessRunOptions, TaskBatch } from './batch.js';
export { type ParallelConfig, parallelConfig } from './config.js';
export { type CpuCountInfo, cpuCount, cpuCountInfo, localNJobs } from './cpu-count.js';
export { Delayed, delayed, type TaskFunction } from './delayed.js';
export {
  BackendUnavailableError,
  CallCancelledError,
  IncompatibleCoreError,
  SerializationError,
  TaskTimeoutError,
  WorkerCrashedError,
} from './errors.js';
export { MAX_NESTING_DEPTH, Parallel, type ParallelOptions } from './parallel.js';
export type { ProgressInfo } from './progress.js';
export { type BackendFactory, listBackends, registerBackend } from './registry.js';
export { effectiveNJobs, getActiveBackend } from './resolve.js';
export { type RunBatchOptions, runBatch } from './runtime.js';
export { nestedBackendOf, SequentialBackend } from './sequential.js';
export {
  sharedArray,
  type TypedArray,
  type TypedArrayConstructor,
  toShared,
} from './shared-array.js';
export { type TaskRef, task } from './task.js';
export {
  decodeResult,
  encodeBatch,
  type WireArgs,
  type WireBatch,
  type WireFunction,
  type WireResult,
} from './wire.js';

import { registerBackend } from './registry.js';
import { SequentialBackend } from './sequential.js';

registerBackend('sequential', (options) => new SequentialBackend(options as { nestingLevel?: number }));
