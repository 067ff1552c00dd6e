/**
 * Internals that sibling packages (adapters, the CLI) need. Not part of the user API; may change
 * between minor versions.
 */
import './index.js';
export { TaskFailure, isThenable } from './batch.js';
export { explainUnsendableBatch } from './wire.js';
export { explainUnsendableResult } from './runtime.js';
export { serializeError, deserializeError, type SerializedError } from './serialize-error.js';
export { findUncloneable, type Uncloneable } from './clone-check.js';
export { watchTaskTimeout, type RunningTask, type TimeoutWatch } from './timeout-watch.js';
export { replaceLargeBuffers, restoreBuffers, type BufferLike } from './large-buffers.js';
export { messages as coreMessages, describe } from './messages.js';
export { withTaskIndex } from './errors.js';
export { currentScope, runInScope, type Scope } from './config.js';
export { isRegistered, defaultBackendName, setDefaultBackend, createBackend } from './registry.js';
export { normalizeModuleUrl, taskRefOf } from './task.js';
export { parsePreDispatch, resolvePreDispatch } from './expression.js';
export { shortFormatTime, verbosityFilter } from './progress.js';
