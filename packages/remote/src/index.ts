/**
 * @parajob/remote — what every remote parajob worker and driver shares (nats, grpc, third-party
 * adapters): the one wire name of a task module, the worker's deny-by-default policy, the
 * executor that runs a wire batch on the local worker-threads pool, the worker lifecycle, and the
 * worker command's flags. See docs/security.md.
 */
export { AllowList, allowMatcher, ROOT_PROJECT } from './allow.js';
export { unsendableResult } from './answer.js';
export { type CommandIo, runWorkerCommand, type WorkerCommand } from './command.js';
export {
  type BatchArrival,
  type BatchWatcher,
  failedBatch,
  RemoteExecutor,
  type RunOptions,
  watchBatches,
} from './executor.js';
export {
  DEFAULT_SHUTDOWN_GRACE_MS,
  FlagError,
  type FlagSpec,
  type FlagValues,
  helpText,
  MAX_CONCURRENCY,
  parseFlags,
  positiveFlag,
  readFlagFile,
  readTlsFlags,
  stringFlag,
  type TlsFiles,
  WORKER_FLAGS,
  type WorkerFlags,
  workerFlags,
} from './flags.js';
export { Lifecycle, untilSignal, type WorkerState } from './lifecycle.js';
export { checkWorkerLimits, type WorkerLimits } from './limits.js';
export { ModuleNamer, nearestPackageDir, wireFunctions } from './module-name.js';
export { exportTarget } from './package-exports.js';
export { type PolicyOptions, type RefusalRule, RefusedError, WorkerPolicy } from './policy.js';
export { checkWire, MAX_TASKS } from './wire-check.js';
