/** The local engine's worker thread: messages in, the runtime does the rest. */
import { type MessagePort, workerData } from 'node:worker_threads';
import { Outbox } from './outbox.js';
import { Parker } from './park.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

// the main thread's channel to this thread (not parentPort: one event per message on its side)
const data = workerData as { resources: Record<string, number>; wake: Int32Array; port: MessagePort };
const port = data.port;
// answers of one turn go as one message (a pipeline of small tasks answers in batches)
const outbox = new Outbox<FromWorker>(
  (batch) => port.postMessage(batch),
  (message, cause) => runtime.unsendable(message, cause),
);
/** Handling a batch: answers wait for its end (an urgent one would go alone, before the others). */
let inBatch = false;
const runtime = new WorkerRuntime(
  (message: FromWorker, urgent?: boolean) => outbox.post(message, urgent === true && !inBatch),
  data.resources,
  () => parker.soon(),
);
const handle = (message: ToWorker) => runtime.handle(message);
const handleData = (data: ToWorker | ToWorker[]) => {
  if (!Array.isArray(data)) return handle(data);
  inBatch = true;
  try {
    for (const message of data) handle(message);
  } finally {
    inBatch = false;
  }
};
// idle between tasks, the thread sleeps on `wake` (see park.ts)
const parker = new Parker(
  data.wake,
  port,
  () => runtime.idle(),
  handleData as (data: unknown) => void,
  outbox.flush,
);
port.on('message', handleData);
