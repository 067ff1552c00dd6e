/**
 * @parajob/threads — joblib's threading backend: tasks run concurrently on the caller's event
 * loop and share its memory. What `require: 'sharedmem'` and `prefer: 'threads'` select.
 */
import { registerBackend } from '@parajob/core/backend';
import { ThreadsBackend, type ThreadsOptions } from './backend.js';

export { ThreadsBackend, type ThreadsOptions } from './backend.js';

/** Registers the backend as 'threads' (and as the default with `makeDefault`). */
export function register(options: { makeDefault?: boolean } = {}): void {
  registerBackend(
    'threads',
    (backendOptions) => new ThreadsBackend(backendOptions as ThreadsOptions),
    options,
  );
}
