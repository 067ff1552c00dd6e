/**
 * @parajob/worker-threads — parajob's default backend: tasks run on a shared pool of worker
 * threads (piscina), with timeouts, crash reports and large buffers shared as SharedArrayBuffer.
 */
import { registerBackend } from '@parajob/core/backend';
import { WorkerThreadsBackend } from './backend.js';
import type { WorkerThreadsOptions } from './options.js';

export { WorkerThreadsBackend } from './backend.js';
export type { WorkerThreadsOptions } from './options.js';
export { shutdownWorkerThreadsPools, workerThreadsPoolCount } from './pool.js';

/** Registers the backend as 'worker-threads' (and as the default with `makeDefault`). */
export function register(options: { makeDefault?: boolean } = {}): void {
  registerBackend(
    'worker-threads',
    (backendOptions) => new WorkerThreadsBackend(backendOptions as WorkerThreadsOptions),
    options,
  );
}
