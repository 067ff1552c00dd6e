/**
 * parajob, batteries included: the whole @parajob/core API, with the local backends registered —
 * `worker-threads` (the default), `child-process` and `threads` — and exported, so a program that
 * depends on `parajob` alone can construct them and stop their pools (under pnpm's strict layout
 * the adapter packages are not importable from the program). Importing it starts nothing: no
 * thread or process exists until a call needs one.
 */
import { register as registerChildProcess } from '@parajob/child-process';
import { register as registerThreads } from '@parajob/threads';
import { register as registerWorkerThreads } from '@parajob/worker-threads';

registerThreads();
registerChildProcess();
registerWorkerThreads({ makeDefault: true });

export {
  ChildProcessBackend,
  type ChildProcessBackendOptions,
  /** Stops every child-process worker now (`shutdownPools` of @parajob/child-process). */
  shutdownPools as shutdownChildProcessPools,
} from '@parajob/child-process';
export * from '@parajob/core';
export { ThreadsBackend, type ThreadsOptions } from '@parajob/threads';
export {
  shutdownWorkerThreadsPools,
  WorkerThreadsBackend,
  type WorkerThreadsOptions,
} from '@parajob/worker-threads';
