/**
 * parajob, batteries included: the whole @parajob/core API, with the local backends registered —
 * `worker-threads` (the default), `child-process` and `threads`. Importing it starts nothing:
 * no thread or process exists until a call needs one.
 */
import { register as registerChildProcess } from '@parajob/child-process';
import { register as registerThreads } from '@parajob/threads';
import { register as registerWorkerThreads } from '@parajob/worker-threads';

registerThreads();
registerChildProcess();
registerWorkerThreads({ makeDefault: true });

export * from '@parajob/core';
