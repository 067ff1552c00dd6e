/** Every user-facing message of @parajob/child-process, in one place. */
import { coreMessages, describe } from '@parajob/core/internal';

export const BACKEND_NAME = 'child-process';

export const messages = {
  option: {
    notObject: (v: unknown) =>
      `new ChildProcessBackend(options): options must be an object, got ${describe(v)}`,
    unknown: (name: string) =>
      `ChildProcessBackend: '${name}' is not an option; known options are execArgv, inheritExecArgv, env, idleTimeout, maxTasksPerWorker and maxMemoryPerWorker`,
    execArgv: (v: unknown) =>
      `ChildProcessBackend option execArgv must be an array of Node flags such as ['--max-old-space-size=512'], got ${describe(v)}`,
    inheritExecArgv: (v: unknown) =>
      `ChildProcessBackend option inheritExecArgv must be true or false, got ${describe(v)}`,
    env: (v: unknown) =>
      `ChildProcessBackend option env must be an object of string values (extra environment variables for the workers), got ${describe(v)}`,
    envValue: (key: string, v: unknown) =>
      `ChildProcessBackend option env.${key} must be a string (environment variables are strings), got ${describe(v)}`,
    maxTasksPerWorker: (v: unknown) =>
      `ChildProcessBackend option maxTasksPerWorker must be a positive integer (tasks a worker runs before it is replaced) or Infinity, got ${describe(v)}`,
    maxMemoryPerWorker: (v: unknown) =>
      `ChildProcessBackend option maxMemoryPerWorker must be a positive number of megabytes (each worker's memory limit), got ${describe(v)}`,
    idleTimeout: (v: unknown) =>
      `ChildProcessBackend option idleTimeout must be a non-negative number of milliseconds an idle worker is kept (0: stop at once), got ${describe(v)}`,
  },
  notConfigured: () =>
    'ChildProcessBackend.submit() was called before configure(): a Parallel configures its backend at its first call; call configure(nJobs, context) first when driving the backend directly',
  crash: (reason: string, taskIndex: number | undefined) =>
    coreMessages.crash.worker(reason, taskIndex, BACKEND_NAME),
  timedOut: (taskIndex: number, timeout: number) => coreMessages.call.timedOut(taskIndex, timeout),
  cancelled: () => coreMessages.call.cancelled(),
  sharedBufferMissing: (path: string, why: string) =>
    `a shared buffer could not be read by the worker (${path}: ${why}). Its call may have ended already, or the temp folder ` +
    'was cleaned by someone else; set tempFolder (or PARAJOB_TEMP_FOLDER) to a private directory, or maxNbytes: null to copy buffers instead',
} as const;
