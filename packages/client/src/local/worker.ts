/** The local engine's worker thread: messages in, the runtime does the rest. */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const port = parentPort!;
const runtime = new WorkerRuntime(
  (message: FromWorker) => port.postMessage(message),
  (workerData as { resources: Record<string, number> }).resources,
);
port.on('message', (message: ToWorker) => runtime.handle(message));
