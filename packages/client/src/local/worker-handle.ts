/**
 * One worker thread of the local engine. It keeps the process alive only while it has work
 * (a script that forgets close() still exits), and reports its exit once.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';

// the worker script sits next to the bundle's entry (dist/local/worker.js)
const WORKER_FILE = new URL('./local/worker.js', import.meta.url);

export enum WorkerState {
  Alive = 0,
  /** Terminating or exited: messages to it are dropped. */
  Dead = 1,
}

export class WorkerHandle {
  state = WorkerState.Alive;
  private readonly worker: Worker;
  /** Tasks (or actor calls) on this thread that the engine waits for. */
  private work = 0;
  /** Tasks here holding CPU now (for placing the next task on the least busy thread). */
  active = 0;

  constructor(
    resources: Readonly<Record<string, number>>,
    onMessage: (handle: WorkerHandle, message: FromWorker) => void,
    onExit: (handle: WorkerHandle, why: string) => void,
  ) {
    this.worker = new Worker(WORKER_FILE, { workerData: { resources } });
    this.worker.on('message', (message: FromWorker) => onMessage(this, message));
    let reported = false;
    const exit = (why: string) => {
      if (reported) return;
      reported = true;
      this.state = WorkerState.Dead;
      onExit(this, why);
    };
    // an uncaught error kills the thread; 'exit' follows, but the error says why
    this.worker.on('error', (error) =>
      exit(`uncaught ${error?.name ?? 'error'}: ${error?.message ?? error}`),
    );
    this.worker.on('exit', (code) => exit(`exit code ${code}`));
    // after the listeners: adding a 'message' listener refs the thread's port again
    this.worker.unref();
  }

  post(message: ToWorker): void {
    if (this.state === WorkerState.Alive) this.worker.postMessage(message);
  }

  /** Counts work that must keep the process alive. */
  begin(): void {
    if (this.work++ === 0) this.worker.ref();
  }

  end(): void {
    if (--this.work === 0) this.worker.unref();
  }

  terminate(): Promise<void> {
    this.state = WorkerState.Dead;
    return this.worker.terminate().then(() => undefined);
  }
}
