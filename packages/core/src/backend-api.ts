/**
 * @parajob/core/backend — everything a backend author needs (docs/writing-a-backend.md): the
 * protocol, its defaults (BackendBase), batches and their wire format, the worker-side runtime,
 * auto-batching, error serialization and the helpers the built-in adapters share. The
 * conformance suite is `@parajob/core/testing`.
 */
import './index.js';

export { AutoBatching, type AutoBatchingOptions } from './auto-batching.js';
export type { BackendContext, NestedBackend, ParallelBackend, SubmitOptions } from './backend.js';
export { BackendBase } from './backend-base.js';
export { type InProcessRunOptions, TaskBatch, TaskFailure } from './batch.js';
export { cpuCount, localNJobs } from './cpu-count.js';
export {
  BatchFailure,
  batchFailureOf,
  CallCancelledError,
  SerializationError,
  TaskTimeoutError,
  WorkerCrashedError,
} from './errors.js';
export {
  type BatchObserver,
  type BatchRetry,
  type CallInfo,
  type CallObserver,
  currentInstrumentation,
  type Instrumentation,
  reportBatchRetried,
  reportWorkerReplaced,
  runInTraceContext,
  setInstrumentation,
  type WorkerReplacement,
} from './instrumentation.js';
export { type BufferLike, replaceLargeBuffers, restoreBuffers } from './large-buffers.js';
export { type BackendFactory, registerBackend } from './registry.js';
export { explainUnsendableResult, type RunBatchOptions, runBatch } from './runtime.js';
export { nestedBackendOf, SequentialBackend } from './sequential.js';
export { deserializeError, type SerializedError, serializeError } from './serialize-error.js';
export { type RunningTask, type TimeoutWatch, watchTaskTimeout } from './timeout-watch.js';
export {
  decodeResult,
  encodeBatch,
  explainUnsendableBatch,
  mapWireArgs,
  type WireArgs,
  type WireBatch,
  type WireFunction,
  type WireResult,
  wireTaskArgs,
} from './wire.js';
