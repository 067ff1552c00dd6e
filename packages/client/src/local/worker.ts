/** The local engine's worker thread: messages in, the runtime does the rest. */
import { parentPort, workerData } from 'node:worker_threads';
import { eachMessage, Outbox } from './outbox.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const port = parentPort!;
// answers of one turn go as one message (a pipeline of small tasks answers in batches)
const outbox = new Outbox<FromWorker>(
  (batch) => port.postMessage(batch),
  (message, cause) => runtime.unsendable(message, cause),
);
const runtime = new WorkerRuntime(
  (message: FromWorker) => outbox.post(message),
  (workerData as { resources: Record<string, number> }).resources,
);
const handle = (message: ToWorker) => runtime.handle(message);
port.on('message', (data: ToWorker | ToWorker[]) => eachMessage(data, handle));
