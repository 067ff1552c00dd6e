/**
 * Internals that sibling packages (adapters, the CLI) need. Not part of any public API; may
 * change between minor versions. Backend authors use `@parajob/core/backend`.
 */
import './index.js';

export { isThenable, TaskFailure } from './batch.js';
export { findUncloneable, type Uncloneable } from './clone-check.js';
export { currentScope, runInScope, type Scope } from './config.js';
export { withTaskIndex } from './errors.js';
export { parsePreDispatch, resolvePreDispatch } from './expression.js';
export { describe, messages as coreMessages } from './messages.js';
export { shortFormatTime, verbosityFilter } from './progress.js';
export { createBackend, defaultBackendName, isRegistered, setDefaultBackend } from './registry.js';
export { RoundRobinQueue } from './round-robin.js';
export { preloadFunctions, resolveFunction, setWorkerArgsHook, setWorkerResultHook } from './runtime.js';
export { sequentialAt } from './sequential.js';
export { StrayErrors } from './stray-errors.js';
export { importingTaskModule, lookupTask, normalizeModuleUrl, taskRefOf } from './task.js';
export { encodeFunction } from './wire.js';
