/** The local engine's worker thread: messages in, the runtime does the rest. */
import { type MessagePort, workerData } from 'node:worker_threads';
import { Outbox } from './outbox.js';
import { Parker } from './park.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

// the main thread's channel to this thread (not parentPort: one event per message on its side)
const data = workerData as { resources: Record<string, number>; wake: Int32Array; port: MessagePort };
const port = data.port;
const send = (batch: FromWorker | FromWorker[]) => port.postMessage(batch);
// answers of one turn go as one message (a pipeline of small tasks answers in batches)
const outbox = new Outbox<FromWorker>(send, (message, cause) => {
  if (message.t !== 'dones') return runtime.unsendable(message, cause);
  // one value of the group cannot be cloned: the others go one by one, that one fails its task
  for (let i = 0; i < message.answers.length; i += 2) {
    const done = {
      t: 'done',
      id: message.answers[i] as string,
      ok: true,
      value: message.answers[i + 1],
      refs: false,
    } as const;
    try {
      send(done);
    } catch (error) {
      runtime.unsendable(done, error);
    }
  }
});
enum Handling {
  One = 0,
  /** A batch (or group of runs): answers wait for its end (an urgent one would go alone, first). */
  Batch = 1,
}
let handling = Handling.One;
/** Plain answers of a turn join one 'dones' group (see protocol.ts); an urgent one goes at once. */
const post = (message: FromWorker, urgent?: boolean): void => {
  const now = urgent === true && handling === Handling.One;
  if (message.t !== 'done' || !message.ok || message.refs || now) {
    outbox.post(message, now);
    return;
  }
  const last = outbox.lastQueued();
  if (last !== undefined && last.t === 'dones') last.answers.push(message.id, message.value);
  else outbox.post({ t: 'dones', answers: [message.id, message.value] });
};
const runtime = new WorkerRuntime(post, data.resources, () => parker.soon());
const handle = (message: ToWorker) => runtime.handle(message);
const handleData = (data: ToWorker | ToWorker[]) => {
  if (!Array.isArray(data) && data.t !== 'runs') return handle(data);
  handling = Handling.Batch;
  try {
    if (Array.isArray(data)) for (const message of data) handle(message);
    else handle(data);
  } finally {
    handling = Handling.One;
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
