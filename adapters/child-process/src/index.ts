/**
 * @parajob/child-process — parajob's backend on a reusable pool of forked Node processes
 * (joblib's loky): crash isolation, timeouts that kill, no orphans, native thread limits.
 */
import { registerBackend } from '@parajob/core/backend';
import { ChildProcessBackend } from './backend.js';
import { BACKEND_NAME } from './messages.js';
import type { ChildProcessBackendOptions } from './options.js';

export { ChildProcessBackend } from './backend.js';
export { THREAD_LIMIT_VARS } from './env.js';
export type { ChildProcessBackendOptions } from './options.js';
export { shutdownPools } from './pools.js';

/** Registers the 'child-process' backend (and makes it the default with `makeDefault: true`). */
export function register(options: { makeDefault?: boolean } = {}): void {
  registerBackend(
    BACKEND_NAME,
    (backendOptions) => new ChildProcessBackend(backendOptions as ChildProcessBackendOptions),
    {
      makeDefault: options.makeDefault ?? false,
    },
  );
}
