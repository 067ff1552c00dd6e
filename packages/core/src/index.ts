/**
 * @parajob/core — joblib's Parallel for Node.js: the user API and the backend protocol.
 * Adapters (worker-threads, child-process, threads, nats, grpc) register themselves by name.
 */
export { Parallel, type ParallelOptions, MAX_NESTING_DEPTH } from './parallel.js';
export { Delayed, delayed, type TaskFunction } from './delayed.js';
export { task, type TaskRef } from './task.js';
export { parallelConfig, type ParallelConfig } from './config.js';
export { registerBackend, listBackends, type BackendFactory } from './registry.js';
export { getActiveBackend, effectiveNJobs } from './resolve.js';
export { cpuCount, cpuCountInfo, type CpuCountInfo } from './cpu-count.js';
export type { ProgressInfo } from './progress.js';
export {
  WorkerCrashedError,
  TaskTimeoutError,
  SerializationError,
  BackendUnavailableError,
  CallCancelledError,
} from './errors.js';

// the backend protocol, for adapter and third-party backend authors
export type { ParallelBackend, BackendContext, SubmitOptions, NestedBackend } from './backend.js';
export { TaskBatch, type InProcessRunOptions } from './batch.js';
export { SequentialBackend } from './sequential.js';
export { AutoBatching, type AutoBatchingOptions } from './auto-batching.js';
export { encodeBatch, decodeResult, type WireBatch, type WireResult, type WireFunction } from './wire.js';
export { runBatch, type RunBatchOptions } from './runtime.js';

import { registerBackend } from './registry.js';
import { SequentialBackend } from './sequential.js';

registerBackend('sequential', (options) => new SequentialBackend(options as { nestingLevel?: number }));
