/**
 * Internals that sibling packages (adapters, the CLI) need. Not part of the user API; may change
 * between minor versions.
 */
import './index.js';

export { isThenable, TaskFailure } from './batch.js';
export { findUncloneable, type Uncloneable } from './clone-check.js';
export { currentScope, runInScope, type Scope } from './config.js';
export { withTaskIndex } from './errors.js';
export { parsePreDispatch, resolvePreDispatch } from './expression.js';
export { type BufferLike, replaceLargeBuffers, restoreBuffers } from './large-buffers.js';
export { describe, messages as coreMessages } from './messages.js';
export { shortFormatTime, verbosityFilter } from './progress.js';
export { createBackend, defaultBackendName, isRegistered, setDefaultBackend } from './registry.js';
export { relayBatch, taskBatchFromWire, toWireResult } from './relay.js';
export { RoundRobinQueue } from './round-robin.js';
export { explainUnsendableResult, resolveFunction } from './runtime.js';
export { deserializeError, type SerializedError, serializeError } from './serialize-error.js';
export { StrayErrors } from './stray-errors.js';
export { importingTaskModule, lookupTask, normalizeModuleUrl, taskRefOf } from './task.js';
export { type RunningTask, type TimeoutWatch, watchTaskTimeout } from './timeout-watch.js';
export { explainUnsendableBatch, mapWireArgs, wireTaskArgs } from './wire.js';
