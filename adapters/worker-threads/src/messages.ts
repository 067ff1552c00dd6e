/** Every user-facing message of @parajob/worker-threads, in one place so wording stays consistent. */
import { coreMessages, describe } from '@parajob/core/internal';

export const RESOURCE_LIMIT_KEYS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

/** Below this stack size, V8 aborts the process when a worker starts (not an error anyone can catch). */
export const MIN_STACK_SIZE_MB = 0.5;

export const messages = {
  result: {
    tooDeep: (index: number, path: string, max: number) =>
      `task ${index} returned a value nested more than ${max} levels deep (at ${path.length > 120 ? `${path.slice(0, 120)}…` : path}): it cannot be sent between threads or processes; return a flatter structure`,
  },
  options: {
    notObject: (v: unknown) =>
      `new WorkerThreadsBackend(options): options must be an object such as { idleTimeout, maxTasksPerWorker, maxMemoryPerWorker }, got ${describe(v)}`,
    unknown: (key: string, hint: string | undefined) =>
      `WorkerThreadsBackend: '${key}' is not an option${hint ? `; did you mean '${hint}'?` : ''}. ` +
      'The options are idleTimeout, maxTasksPerWorker, maxMemoryPerWorker and resourceLimits.',
    resourceLimits: (v: unknown) =>
      `WorkerThreadsBackend: options.resourceLimits must be an object with some of ${RESOURCE_LIMIT_KEYS.join(', ')}, got ${describe(v)}`,
    resourceLimitKey: (key: string) =>
      `WorkerThreadsBackend: options.resourceLimits.${key} is not a worker resource limit; use ${RESOURCE_LIMIT_KEYS.join(', ')}`,
    resourceLimitValue: (key: string, v: unknown) =>
      `WorkerThreadsBackend: options.resourceLimits.${key} must be a positive number of megabytes, got ${describe(v)}`,
    stackTooSmall: (v: number) =>
      `WorkerThreadsBackend: options.resourceLimits.stackSizeMb ${v} is too small for a worker thread to start ` +
      `(below ${MIN_STACK_SIZE_MB} MB, V8 aborts the whole process); use at least ${MIN_STACK_SIZE_MB} (Node's default is 4)`,
    idleTimeout: (v: unknown) =>
      `WorkerThreadsBackend: options.idleTimeout must be a non-negative number of milliseconds (Infinity keeps idle workers), got ${describe(v)}`,
    idleTimeoutMsDeprecated: () =>
      "WorkerThreadsBackend: the option 'idleTimeoutMs' is now spelled 'idleTimeout' (the same name on every backend); 'idleTimeoutMs' still works for now",
    bothIdleTimeouts: () =>
      "WorkerThreadsBackend: give 'idleTimeout' only ('idleTimeoutMs' is its deprecated old spelling), not both",
    maxTasksPerWorker: (v: unknown) =>
      `WorkerThreadsBackend: options.maxTasksPerWorker must be a positive integer (tasks a thread runs before it is replaced) or Infinity, got ${describe(v)}`,
    batchesPerThread: (v: unknown) =>
      `WorkerThreadsBackend: options.batchesPerThread must be a whole number of batches, at least 1, got ${describe(v)}`,
    maxMemoryPerWorker: (v: unknown) =>
      `WorkerThreadsBackend: options.maxMemoryPerWorker must be a positive number of megabytes (each thread's heap limit), got ${describe(v)}`,
  },
  notConfigured: () =>
    'WorkerThreadsBackend.submit() was called before configure(): a Parallel instance configures its backend at its first call; ' +
    'when driving the backend directly, await backend.configure(nJobs, context) first',
  /** The result could not be posted although the worker-side check passed (an exotic host object). */
  unsendableResult: (taskIndex: number) => coreMessages.serialize.result(taskIndex, 'result', 'a value'),
  /** A worker died before it could run anything: with these limits, no batch would ever run. */
  cannotStart: (limits: string, reason: string) =>
    `worker threads cannot start with resourceLimits ${limits}: ${reason}. ` +
    'Raise the limits in new WorkerThreadsBackend({ resourceLimits }) (a worker needs a few MB of heap for Node itself), or remove them',
  poolShutDown: () =>
    'the worker-threads pool was shut down (shutdownWorkerThreadsPools()) while this batch ran; start the call again',
};
