/**
 * @parajob/child-process — parajob's backend on a reusable pool of forked Node processes
 * (joblib's loky): crash isolation, timeouts that kill, no orphans, native thread limits.
 */
import { registerBackend } from '@parajob/core/backend';
import { ChildProcessBackend, loadedEngine } from './backend.js';
import { BACKEND_NAME } from './messages.js';
import type { ChildProcessBackendOptions } from './options.js';

export { ChildProcessBackend } from './backend.js';
export { THREAD_LIMIT_VARS } from './env.js';
export type { ChildProcessBackendOptions } from './options.js';

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

/**
 * Stops every child-process worker now (tests, explicit cleanup). Running batches fail; later
 * calls start new pools. No pool exists before a backend was configured, so nothing is loaded then.
 */
export async function shutdownPools(): Promise<void> {
  const engine = loadedEngine();
  if (engine !== undefined) await (await engine).shutdownPools();
}
