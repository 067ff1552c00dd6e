/** Every user-facing message of @parajob/worker-threads, in one place so wording stays consistent. */
import { coreMessages, describe } from '@parajob/core/internal';

export const RESOURCE_LIMIT_KEYS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

export const messages = {
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
    idleTimeout: (v: unknown) =>
      `WorkerThreadsBackend: options.idleTimeout must be a non-negative number of milliseconds (Infinity keeps idle workers), got ${describe(v)}`,
    idleTimeoutMsDeprecated: () =>
      "WorkerThreadsBackend: the option 'idleTimeoutMs' is now spelled 'idleTimeout' (the same name on every backend); 'idleTimeoutMs' still works for now",
    bothIdleTimeouts: () =>
      "WorkerThreadsBackend: give 'idleTimeout' only ('idleTimeoutMs' is its deprecated old spelling), not both",
    maxTasksPerWorker: (v: unknown) =>
      `WorkerThreadsBackend: options.maxTasksPerWorker must be a positive integer (tasks a thread runs before it is replaced) or Infinity, got ${describe(v)}`,
    maxMemoryPerWorker: (v: unknown) =>
      `WorkerThreadsBackend: options.maxMemoryPerWorker must be a positive number of megabytes (each thread's heap limit), got ${describe(v)}`,
  },
  notConfigured: () =>
    'WorkerThreadsBackend.submit() was called before configure(): a Parallel instance configures its backend at its first call; ' +
    'when driving the backend directly, await backend.configure(nJobs, context) first',
  /** The result could not be posted although the worker-side check passed (an exotic host object). */
  unsendableResult: (taskIndex: number) => coreMessages.serialize.result(taskIndex, 'result', 'a value'),
  poolShutDown: () =>
    'the worker-threads pool was shut down (shutdownWorkerThreadsPools()) while this batch ran; start the call again',
};
