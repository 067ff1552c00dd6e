/**
 * One worker thread of the local engine. It keeps the process alive only while it has work
 * (a script that forgets close() still exits), and reports its exit once.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { SerializationError } from '@parajob/core';
import { serializeError, type WireFunction } from '@parajob/core/backend';
import { findUncloneable } from '@parajob/core/internal';
import { messages } from '../messages.js';
import { eachMessage, Outbox } from './outbox.js';
import { COUNT, PARKED } from './park.js';
import { type FromWorker, plainRun, type ToWorker } from './protocol.js';

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
  /** This side of the thread's own channel (one event per message; the Worker object re-emits twice). */
  private readonly port: MessagePort;
  /** Tasks (or actor calls) on this thread that the engine waits for. */
  private work = 0;
  /** Tasks here holding CPU now (for placing the next task on the least busy thread). */
  active = 0;
  /** Tasks sent here and not answered yet, running or in the thread's pipeline. */
  sent = 0;
  /** When this thread last answered a task (performance.now()): a thread that answers often gets a pipeline. */
  lastDone = Number.NEGATIVE_INFINITY;
  private readonly outbox: Outbox<ToWorker>;
  private readonly send: (batch: ToWorker | ToWorker[]) => void;
  /** Task functions this thread was sent, by their (cached) wire form. */
  private readonly functions = new Map<WireFunction, number>();

  constructor(
    resources: Readonly<Record<string, number>>,
    onMessage: (handle: WorkerHandle, message: FromWorker) => void,
    onExit: (handle: WorkerHandle, why: string) => void,
  ) {
    // [count of messages, parked]: an idle thread sleeps on the count, not in its event loop (park.ts)
    const wake = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_FILE, {
      workerData: { resources, wake, port: port2 },
      transferList: [port2],
    });
    const handle = (message: FromWorker) => onMessage(this, message);
    port1.on('message', (data: FromWorker | FromWorker[]) => eachMessage(data, handle));
    this.send = (batch) => {
      if (this.state !== WorkerState.Alive) return;
      port1.postMessage(batch);
      Atomics.add(wake, COUNT, 1);
      // a notify costs a lock even with no one waiting: only a parked thread gets one
      if (Atomics.load(wake, PARKED) === 1) Atomics.notify(wake, COUNT, 1);
    };
    this.outbox = new Outbox<ToWorker>(this.send, (message, cause) =>
      this.unsendable(message, cause, handle),
    );
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
    // the thread never keeps the process alive; its port does while it has work (begin/end)
    this.worker.unref();
    port1.unref();
  }

  /** The number of `wire` on this thread, defining it there the first time. */
  functionId(wire: WireFunction): number {
    let id = this.functions.get(wire);
    if (id === undefined) {
      this.functions.set(wire, (id = this.functions.size));
      this.post({ t: 'define', fn: id, wire });
    }
    return id;
  }

  /**
   * Sends at the end of this turn, with everything else posted in it (one message); `urgent`
   * (something the thread waits for with nothing else to do) goes at once if nothing is before it.
   */
  post(message: ToWorker, urgent = false): void {
    if (this.state === WorkerState.Alive) this.outbox.post(message, urgent);
  }

  /**
   * A task with arguments free of refs, not a stream, no span: it joins the turn's group of runs
   * (see protocol.ts), unless it is urgent (then it goes at once, alone).
   */
  postRun(id: string, fn: number, args: readonly unknown[], queued: boolean, urgent: boolean): void {
    if (this.state !== WorkerState.Alive) return;
    if (urgent) {
      this.outbox.post({ t: 'run', id, fn, args, refs: false, window: 0, queued }, true);
      return;
    }
    const last = this.outbox.lastQueued();
    if (last !== undefined && last.t === 'runs' && last.queued === queued) last.tasks.push(id, fn, args);
    else this.outbox.post({ t: 'runs', queued, tasks: [id, fn, args] });
  }

  /**
   * A message that cannot be cloned: work the thread would have answered is answered here with a
   * SerializationError naming the path; an object or stream item sent to a waiting task becomes
   * that error instead.
   */
  private unsendable(message: ToWorker, cause: unknown, answer: (message: FromWorker) => void): void {
    if (message.t === 'define') throw cause;
    if (message.t === 'runs') {
      // one of the group cannot be cloned: the others go one by one, that one is answered
      for (let i = 0; i < message.tasks.length; i += 3) {
        const run = plainRun(message.tasks, i, message.queued);
        try {
          this.send(run);
        } catch (error) {
          this.unsendable(run, error, answer);
        }
      }
      return;
    }
    const value = 'args' in message ? message.args : 'value' in message ? message.value : undefined;
    const where = 'args' in message ? 'args' : 'value';
    const found = findUncloneable(value, where);
    const path = found?.path ?? where;
    const error = new SerializationError(
      messages.unsendableArgs(message.id, path, found?.what ?? 'a value'),
      {
        path,
        phase: 'arguments',
        cause,
      },
    );
    const wire = { error: serializeError(error) };
    switch (message.t) {
      case 'run':
      case 'actor':
      case 'call':
        answer({ t: 'done', id: message.id, ok: false, error: wire });
        return;
      case 'object':
        this.post({ t: 'object', id: message.id, ok: false, error: wire });
        return;
      case 'item':
        this.post({ t: 'itemEnd', id: message.id, error: wire });
        return;
      default:
        throw cause;
    }
  }

  /** Counts work that must keep the process alive. */
  begin(): void {
    if (this.work++ === 0) this.port.ref();
  }

  end(): void {
    if (--this.work === 0) this.port.unref();
  }

  terminate(): Promise<void> {
    this.outbox.flush();
    this.state = WorkerState.Dead;
    return this.worker.terminate().then(() => undefined);
  }
}
