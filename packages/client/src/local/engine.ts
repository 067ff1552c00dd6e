/**
 * The local engine: an embedded cluster on worker threads (Ray's `ray.init()` with no address).
 * The main thread owns every object and schedules every task, the driver's and the nested ones;
 * worker threads run tasks and actors and ask the main thread for objects. A task holds its
 * resources only while it runs: not while its arguments are computed, nor while it waits in get.
 */
import { cpuCount, WorkerCrashedError } from '@parajob/core';
import type { WireFunction } from '@parajob/core/backend';
import { encodeFunction } from '@parajob/core/internal';
import type { ActorCall, ActorSubmission, CancelOptions, ClientEngine, TaskSubmission } from '../engine.js';
import { fromWireError } from '../error-class.js';
import { TaskCancelledError } from '../errors.js';
import type { StreamSink } from '../generator.js';
import { messages } from '../messages.js';
import type { ObjectRef } from '../object-ref.js';
import { DEFAULT_TASK_OPTIONS, retriesError, type WireTaskOptions } from '../options.js';
import { shareLarge } from '../ref-codec.js';
import { ActorManager } from './actors.js';
import { allPrimitive, RefsIn, refsIn, resolved, whenArgsReady } from './deps.js';
import { ObjectTable } from './objects.js';
import type { FromWorker } from './protocol.js';
import { describeNeeds, needsOf, ResourcePool } from './resources.js';
import { StreamRelay } from './stream-relay.js';
import { LOCAL_SUPPORTS } from './supports.js';
import { TaskRecord, TaskState } from './task-record.js';
import { WorkerHandle } from './worker-handle.js';

export interface LocalEngineOptions {
  /** Logical CPUs the cluster declares (Ray's num_cpus). Default: the usable CPU count. */
  readonly numCpus?: number;
  /** Custom resources the cluster declares, e.g. `{ GPU: 1, db: 4 }`. */
  readonly resources?: Readonly<Record<string, number>>;
  /** Worker threads for tasks. Default: min(numCpus, usable CPUs), at least 1. */
  readonly workers?: number;
}

/** Tasks a thread may have sent ahead of its answers (running or queued there). */
const PIPELINE_DEPTH = 32;
/** A thread gets a pipeline only if it answered a task this recently (it runs short tasks). */
const PIPELINE_RECENT_MS = 2;
/**
 * Fewer tasks waiting than this are not pipelined: a pipeline pays off in a burst, and a handful of
 * tasks queued behind one that turns out long would wait for it while another thread is free.
 */
const PIPELINE_BACKLOG = 8;
/** The resource shape of a task with default options: the only shape pipelined. */
const PLAIN_SHAPE = needsOf(DEFAULT_TASK_OPTIONS).shape;

enum EngineState {
  Open = 0,
  Closed = 1,
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

export class LocalEngine implements ClientEngine {
  readonly name = 'local';
  readonly supports = LOCAL_SUPPORTS;
  readonly resources: Readonly<Record<string, number>>;
  private state = EngineState.Open;
  private readonly pool: ResourcePool;
  private readonly threads: number;
  private readonly workers: WorkerHandle[] = [];
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly objects = new ObjectTable();
  private readonly actors: ActorManager;

  constructor(options: LocalEngineOptions = {}) {
    const usable = cpuCount();
    const numCpus = options.numCpus ?? usable;
    if (typeof numCpus !== 'number' || !(numCpus > 0))
      throw new TypeError(messages.badConnect('numCpus', numCpus, 'a number > 0'));
    const workers = options.workers ?? Math.max(1, Math.min(Math.ceil(numCpus), usable));
    if (!Number.isInteger(workers) || workers < 1)
      throw new TypeError(messages.badConnect('workers', workers, 'an integer >= 1'));
    this.resources = Object.freeze({ CPU: numCpus, ...(options.resources ?? {}) });
    this.pool = new ResourcePool(this.resources);
    this.threads = workers;
    this.actors = new ActorManager({
      spawn: () => this.spawn(),
      encode: this.objects.encode,
      decode: this.objects.decode,
      onSubmitted: () => this.schedule(),
    });
    this.objects.actors = this.actors;
  }

  /** Tasks sent into a thread's pipeline so far (for tests and diagnostics). */
  pipelinedTasks = 0;

  /** Objects held for workers (for tests and diagnostics: it must not grow with finished work). */
  get heldObjects(): number {
    return this.objects.size;
  }

  // ---- the client's calls ----

  submit(task: TaskSubmission): void {
    let fn: WireFunction;
    try {
      fn = encodeFunction(task.fn);
    } catch (error) {
      task.stream?.fail(error);
      task.ref.reject(error);
      return;
    }
    this.accept(task.id, fn, task.args, task.options, task.ref, task.stream, undefined, task.traceparent);
  }

  put(ref: ObjectRef, value: unknown): void {
    ref.resolve(shareLarge(value));
  }

  cancel(id: string, options: CancelOptions): void {
    const task = this.tasks.get(id);
    if (task === undefined) return;
    if (options.recursive !== false && task.children !== null)
      for (const child of task.children) this.cancel(child, options);
    const error = new TaskCancelledError(messages.cancelled(id));
    switch (task.state) {
      case TaskState.WaitingForArgs:
      case TaskState.Queued:
        this.finish(task, { ok: false, error });
        return;
      case TaskState.Running:
        // the ref fails now; the worker's answer (or its exit) frees the resources later
        task.state = TaskState.CancelledRunning;
        this.settle(task, { ok: false, error });
        task.worker!.post({ t: 'cancel', id });
        if (options.force) void task.worker!.terminate();
        return;
      case TaskState.CancelledRunning:
        if (options.force) void task.worker!.terminate();
        return;
    }
  }

  createActor(actor: ActorSubmission): Promise<void> {
    this.checkOpen();
    return this.actors.create({ ...actor, name: actor.cls.name }, encodeFunction(actor.cls));
  }

  callActor(actorId: string, call: ActorCall): void {
    this.actors.call(actorId, call);
  }

  killActor(actorId: string, options: { readonly noRestart: boolean }): void {
    this.actors.kill(actorId, options.noRestart);
  }

  async close(): Promise<void> {
    if (this.state === EngineState.Closed) return;
    this.state = EngineState.Closed;
    for (const task of [...this.tasks.values()]) {
      if (task.state !== TaskState.CancelledRunning)
        this.settle(task, { ok: false, error: new TaskCancelledError(messages.closed()) });
    }
    this.tasks.clear();
    const stopping = this.workers.splice(0).map((w) => w.terminate());
    await Promise.all([...stopping, this.actors.close()]);
    this.objects.clear();
  }

  // ---- tasks ----

  private accept(
    id: string,
    fn: WireFunction,
    args: readonly unknown[],
    options: WireTaskOptions,
    ref: ObjectRef,
    stream: StreamSink | null,
    parent: string | undefined,
    traceparent?: string,
  ): void {
    const { needs, shape } = needsOf(options);
    if (!this.pool.feasible(needs)) {
      const error = new Error(messages.infeasible(describeNeeds(needs), describeNeeds(this.resources)));
      stream?.fail(error);
      ref.reject(error);
      return;
    }
    const task = new TaskRecord(id, fn, args, options, ref, stream, parent, needs, shape);
    task.traceparent = traceparent;
    this.tasks.set(id, task);
    if (parent !== undefined) {
      const owner = this.tasks.get(parent);
      if (owner !== undefined) (owner.children ??= new Set()).add(id);
    }
    if (stream !== null) {
      stream.control = {
        taken: () => task.worker?.post({ t: 'credit', id }),
        close: () => this.cancel(id, { force: false, recursive: true }),
      };
    }
    const refs = refsIn(args);
    if (refs === RefsIn.None) {
      // the path of most tasks: the arguments as they are (remote()'s own array), no copy
      task.values = args as unknown[];
      this.enqueue(task);
      return;
    }
    if (refs === RefsIn.Settled) {
      // no closures to wait with
      const r = resolved(args);
      if ('failed' in r) this.finish(task, { ok: false, error: r.failed.error });
      else {
        task.values = r.values;
        this.enqueue(task);
      }
      return;
    }
    whenArgsReady(
      args,
      (values) => {
        if (task.state !== TaskState.WaitingForArgs) return;
        task.values = values;
        this.enqueue(task);
      },
      (error) => {
        // a failed argument fails the task with the same error (its class and cause kept)
        if (task.state === TaskState.WaitingForArgs) this.finish(task, { ok: false, error });
      },
    );
  }

  private enqueue(task: TaskRecord): void {
    task.state = TaskState.Queued;
    // nothing waits and it fits: straight to the least busy thread (one task at a time)
    if (this.state === EngineState.Open && this.pool.empty && this.pool.tryAcquire(task.needs)) {
      this.dispatch(task, this.leastBusy(), false);
      return;
    }
    this.pool.enqueue(task);
    this.schedule();
  }

  private readonly isQueued = (task: TaskRecord) => task.state === TaskState.Queued;

  private schedule(): void {
    // nothing waits for resources (one task at a time): nothing to place
    if (this.state === EngineState.Closed || this.pool.empty) return;
    for (let task = this.pool.next(this.isQueued); task !== undefined; task = this.pool.next(this.isQueued))
      this.dispatch(task, this.leastBusy(), false);
    // the CPUs are taken: plain tasks go ahead into the pipeline of threads that answer quickly
    while (this.pool.waiting >= PIPELINE_BACKLOG) {
      const worker = this.pipelineRoom();
      if (worker === undefined) return;
      const task = this.pool.nextOfShape(PLAIN_SHAPE, this.isQueued);
      if (task === undefined) return;
      this.pipelinedTasks++;
      this.dispatch(task, worker, true);
    }
  }

  /**
   * Sends a task to a thread. A pipelined task holds its CPU from now (the pool oversubscribes by
   * at most PIPELINE_DEPTH per thread): the thread starts it as soon as its current task answers or
   * blocks in get, without waiting for a round trip to this thread.
   */
  private dispatch(task: TaskRecord, worker: WorkerHandle, queued: boolean): void {
    task.state = TaskState.Running;
    task.worker = worker;
    task.holding = true;
    task.attempts++;
    worker.active++;
    worker.sent++;
    worker.begin();
    const fn = worker.functionId(task.fn);
    // the only task to send, to a thread with nothing else to do, goes at once (one task at a time)
    const urgent = worker.sent === 1 && this.pool.empty;
    const { traceparent } = task;
    // arguments that are all primitives hold no ref: nothing to encode
    if (task.stream === null && traceparent === undefined && allPrimitive(task.values)) {
      worker.postRun(task.id, fn, task.values, queued, urgent);
      return;
    }
    const { value, refs } = this.objects.encode(task.values);
    const window = task.stream === null ? 0 : task.options.generatorBackpressure;
    const message = {
      t: 'run',
      id: task.id,
      fn,
      args: value as unknown[],
      refs,
      window,
      queued,
      traceparent,
    } as const;
    worker.post(message, urgent);
  }

  private leastBusy(): WorkerHandle {
    while (this.workers.length < this.threads) this.workers.push(this.spawn());
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.active < best.active) best = w;
    return best;
  }

  /**
   * The thread with the shortest pipeline that has room, among those that answered a task in the
   * last PIPELINE_RECENT_MS: a thread busy with a long task gets no tasks queued behind it.
   */
  private pipelineRoom(): WorkerHandle | undefined {
    const now = performance.now();
    let best: WorkerHandle | undefined;
    for (const w of this.workers) {
      if (w.sent >= PIPELINE_DEPTH || now - w.lastDone > PIPELINE_RECENT_MS) continue;
      if (best === undefined || w.sent < best.sent) best = w;
    }
    return best;
  }

  private spawn(): WorkerHandle {
    return new WorkerHandle(this.resources, this.onMessage, this.onExit);
  }

  /** Gives back what the task holds on its worker. */
  private release(task: TaskRecord): void {
    const worker = task.worker;
    if (worker === null) return;
    if (task.holding) {
      this.pool.release(task.needs);
      worker.active--;
      task.holding = false;
    }
    worker.sent--;
    worker.end();
    task.worker = null;
  }

  private settle(task: TaskRecord, outcome: Outcome): void {
    if (outcome.ok) {
      task.stream?.end();
      task.ref.resolve(outcome.value);
    } else {
      task.stream?.fail(outcome.error);
      task.ref.reject(outcome.error);
    }
  }

  private finish(task: TaskRecord, outcome: Outcome): void {
    this.retire(task);
    if (task.parent !== undefined) this.tasks.get(task.parent)?.children?.delete(task.id);
    this.settle(task, outcome);
  }

  /** The task is over: forget it, and the objects it made once they settle. */
  private retire(task: TaskRecord): void {
    task.state = TaskState.Done;
    this.tasks.delete(task.id);
    if (task.created !== null) for (const id of task.created) this.objects.releaseWhenSettled(id);
    task.created = null;
  }

  /** Records an object a running task made, to free it when the task ends. */
  private madeBy(parent: string | undefined, id: string): void {
    if (parent === undefined) return;
    const owner = this.tasks.get(parent);
    if (owner !== undefined) (owner.created ??= []).push(id);
  }

  private canRetry(task: TaskRecord): boolean {
    return task.yielded === 0 && (task.options.maxRetries === -1 || task.attempts <= task.options.maxRetries);
  }

  /** The worker answered with a value (refs in it decoded already). */
  private taskOk(task: TaskRecord, value: unknown, now: number): void {
    task.worker!.lastDone = now;
    this.release(task);
    if (task.state === TaskState.CancelledRunning) this.retire(task);
    else this.finish(task, { ok: true, value });
    this.schedule();
  }

  /** The worker answered; errors go through restoring their class (async), values settle at once. */
  private taskDone(task: TaskRecord, message: Extract<FromWorker, { t: 'done' }>): void {
    if (message.ok) {
      const value = message.refs ? this.objects.decode(message.value) : message.value;
      this.taskOk(task, value, performance.now());
      return;
    }
    task.worker!.lastDone = performance.now();
    this.release(task);
    if (task.state === TaskState.CancelledRunning) this.retire(task);
    else {
      // restoring the error's class: a cancel meanwhile fails the task at once
      task.state = TaskState.WaitingForArgs;
      void fromWireError(message.error).then((error) => {
        if (task.state !== TaskState.WaitingForArgs) return;
        if (this.canRetry(task) && retriesError(task.options.retryExceptions, error)) this.enqueue(task);
        else this.finish(task, { ok: false, error });
      });
    }
    this.schedule();
  }

  /** A task waits for an object: it gives back its resources until the object is sent to it. */
  private fetch(worker: WorkerHandle, id: string, taskId: string | undefined): void {
    const task = taskId === undefined ? undefined : this.tasks.get(taskId);
    const blocked = task !== undefined && task.worker === worker ? task : undefined;
    if (blocked !== undefined && blocked.fetches++ === 0 && blocked.holding) {
      this.pool.release(blocked.needs);
      worker.active--;
      blocked.holding = false;
      this.schedule();
    }
    this.objects.sendWhenSettled(worker, id, () => {
      // resumed: it takes its resources back, even beyond what is free (as Ray does)
      if (blocked === undefined || --blocked.fetches > 0) return;
      if (blocked.state !== TaskState.Running || blocked.worker !== worker) return;
      this.pool.acquire(blocked.needs);
      worker.active++;
      blocked.holding = true;
    });
  }

  // ---- worker messages ----

  private readonly onMessage = (worker: WorkerHandle, message: FromWorker): void => {
    switch (message.t) {
      case 'done': {
        const task = this.tasks.get(message.id);
        if (task !== undefined && task.worker === worker) this.taskDone(task, message);
        else this.actors.onDone(worker, message);
        return;
      }
      case 'dones': {
        const answers = message.answers;
        const now = performance.now();
        for (let i = 0; i < answers.length; i += 2) {
          const id = answers[i] as string;
          const task = this.tasks.get(id);
          if (task !== undefined && task.worker === worker) this.taskOk(task, answers[i + 1], now);
          else this.actors.onDone(worker, { t: 'done', id, ok: true, value: answers[i + 1], refs: false });
        }
        return;
      }
      case 'yield': {
        const task = this.tasks.get(message.id);
        const value = message.refs ? this.objects.decode(message.value) : message.value;
        if (task === undefined) {
          this.actors.onYield(message.id, value);
          return;
        }
        task.yielded++;
        task.stream?.push(value);
        return;
      }
      case 'submit': {
        const ref = this.objects.create(message.id);
        this.madeBy(message.parent, message.id);
        const args = message.refs ? (this.objects.decode(message.args) as unknown[]) : message.args;
        const stream = message.stream ? new StreamRelay(worker, message.id, this.objects.encode) : null;
        this.accept(message.id, message.fn, args, message.options, ref, stream, message.parent);
        return;
      }
      case 'put': {
        this.madeBy(message.parent, message.id);
        this.objects
          .create(message.id)
          .resolve(shareLarge(message.refs ? this.objects.decode(message.value) : message.value));
        return;
      }
      case 'createActor': {
        const ref = this.objects.create(message.id);
        const args = message.refs ? (this.objects.decode(message.args) as unknown[]) : message.args;
        this.actors
          .create({ id: message.id, name: message.name, args, options: message.options }, message.fn)
          .then(
            () => ref.resolve(null),
            (error) => ref.reject(error),
          );
        return;
      }
      case 'actorCall': {
        const ref = this.objects.create(message.id);
        const args = message.refs ? (this.objects.decode(message.args) as unknown[]) : message.args;
        this.actors.call(message.actorId, {
          id: message.id,
          method: message.method,
          args,
          ref,
          stream: null,
        });
        return;
      }
      case 'kill':
        this.actors.kill(message.actorId, message.noRestart);
        return;
      case 'credit':
        this.tasks.get(message.id)?.stream?.control?.taken();
        return;
      case 'fetch':
        this.fetch(worker, message.id, message.task);
        return;
      case 'cancel':
        this.cancel(message.id, message);
        return;
    }
  };

  private readonly onExit = (worker: WorkerHandle, why: string): void => {
    const at = this.workers.indexOf(worker);
    if (at >= 0) this.workers.splice(at, 1);
    if (this.state === EngineState.Closed) return;
    for (const task of [...this.tasks.values()]) {
      if (task.worker !== worker) continue;
      this.release(task);
      if (task.state === TaskState.CancelledRunning) this.retire(task);
      else if (this.canRetry(task)) this.enqueue(task);
      else {
        const error = new WorkerCrashedError(messages.workerDied(task.id, why, task.attempts), {
          exitReason: why,
        });
        this.finish(task, { ok: false, error });
      }
    }
    this.actors.onExit(worker, why);
    this.schedule();
  };

  private checkOpen(): void {
    if (this.state === EngineState.Closed) throw new Error(messages.closed());
  }
}
