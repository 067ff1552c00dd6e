/**
 * The engine of the ambient client inside a local worker thread: a task's remote/put/cancel are
 * messages to the main thread's engine, which schedules them like the driver's; refs are fetched
 * from it only when a task waits on them (and while it waits, the task holds no CPU).
 */
import { encodeFunction } from '@parajob/core/internal';
import { makeActorHandle } from '../actor-handle.js';
import { taskContext } from '../context.js';
import type { ActorCall, ActorSubmission, CancelOptions, ClientEngine, TaskSubmission } from '../engine.js';
import { fromWireError } from '../error-class.js';
import type { StreamSink } from '../generator.js';
import { newId } from '../ids.js';
import { messages } from '../messages.js';
import { ObjectRef } from '../object-ref.js';
import { toWireTaskOptions } from '../options.js';
import { decodeRefs, encodeRefs, type RefResolver } from '../ref-codec.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { LOCAL_SUPPORTS } from './supports.js';

export class WorkerEngine implements ClientEngine {
  readonly name = 'local (inside a task)';
  // a task's ambient client has every feature of the engine it runs in
  readonly supports = LOCAL_SUPPORTS;
  /** Refs waiting for an 'object' message, by object id. */
  private readonly awaiting = new Map<string, ObjectRef[]>();
  /** Streams started by tasks of this thread, by task id. */
  private readonly streams = new Map<string, StreamSink>();

  /** Objects whose submission could not be sent: their refs fail here. */
  private readonly failed = new Map<string, Error>();

  constructor(
    private readonly post: (message: FromWorker) => void,
    readonly resources: Readonly<Record<string, number>>,
    /** A task of this thread waits for an object (it gives back its CPU meanwhile). */
    private readonly onBlocked: (taskId: string | undefined) => void,
  ) {}

  /** No object fetch and no stream of this thread's tasks is in flight. */
  idle(): boolean {
    return this.awaiting.size === 0 && this.streams.size === 0;
  }

  /** A submission that could not be sent: its refs fail with `error`. */
  failLocally(id: string, error: Error): void {
    this.failed.set(id, error);
    const refs = this.awaiting.get(id);
    this.awaiting.delete(id);
    if (refs !== undefined) for (const ref of refs) ref.reject(error);
  }

  /** A ref rebuilt from a marker: its value is fetched when a task first waits on it. */
  refFor = (id: string): ObjectRef => {
    const ref = new ObjectRef(id);
    ref.onDemand = this.fetch;
    return ref;
  };

  /** Markers rebuilt in this thread: refs fetched on demand, actor handles calling through the main thread. */
  readonly resolver: RefResolver = {
    ref: this.refFor,
    actor: (actorId, name) =>
      makeActorHandle(actorId, name, (method, args) => {
        const ref = this.refFor(newId());
        this.callActor(actorId, { id: ref.id, method, args, ref, stream: null });
        return ref;
      }),
  };

  private readonly fetch = (ref: ObjectRef): void => {
    const failed = this.failed.get(ref.id);
    if (failed !== undefined) return void queueMicrotask(() => ref.reject(failed));
    const list = this.awaiting.get(ref.id);
    if (list !== undefined) return void list.push(ref);
    this.awaiting.set(ref.id, [ref]);
    const task = taskContext.getStore()?.taskId;
    this.post({ t: 'fetch', id: ref.id, task });
    this.onBlocked(task);
  };

  /** The main thread sent an object a task fetched. */
  async settle(message: Extract<ToWorker, { t: 'object' }>): Promise<void> {
    const refs = this.awaiting.get(message.id);
    this.awaiting.delete(message.id);
    if (refs === undefined) return;
    if (message.ok) {
      const value = message.refs ? decodeRefs(message.value, this.resolver) : message.value;
      for (const ref of refs) ref.resolve(value);
    } else {
      const error = await fromWireError(message.error);
      for (const ref of refs) ref.reject(error);
    }
  }

  /** An item (or the end) of a stream a task here started. */
  async streamItem(message: Extract<ToWorker, { t: 'item' | 'itemEnd' }>): Promise<void> {
    const stream = this.streams.get(message.id);
    if (stream === undefined) return;
    if (message.t === 'item')
      return stream.push(message.refs ? decodeRefs(message.value, this.resolver) : message.value);
    this.streams.delete(message.id);
    if (message.error === null) stream.end();
    else stream.fail(await fromWireError(message.error));
  }

  /** Encodes arguments or values for the main thread. */
  encode(value: unknown): { value: unknown; refs: boolean } {
    return encodeRefs(value);
  }

  submit(task: TaskSubmission): void {
    const fn = encodeFunction(task.fn);
    const stream = task.stream;
    if (stream !== null) {
      this.streams.set(task.id, stream);
      stream.control = {
        taken: () => this.post({ t: 'credit', id: task.id }),
        close: () => this.cancel(task.id, { force: false, recursive: true }),
      };
    }
    const { value, refs } = encodeRefs(task.args);
    task.ref.onDemand = this.fetch;
    this.post({
      t: 'submit',
      id: task.id,
      parent: taskContext.getStore()?.taskId,
      fn,
      args: value as unknown[],
      refs,
      options: toWireTaskOptions(task.options),
      stream: stream !== null,
    });
  }

  put(ref: ObjectRef, value: unknown): void {
    const encoded = encodeRefs(value);
    this.post({
      t: 'put',
      id: ref.id,
      parent: taskContext.getStore()?.taskId,
      value: encoded.value,
      refs: encoded.refs,
    });
    ref.resolve(value);
  }

  cancel(id: string, options: CancelOptions): void {
    this.post({ t: 'cancel', id, force: options.force ?? false, recursive: options.recursive ?? true });
  }

  createActor(actor: ActorSubmission): Promise<void> {
    const { value, refs } = encodeRefs(actor.args);
    this.post({
      t: 'createActor',
      id: actor.id,
      name: actor.cls.name,
      fn: encodeFunction(actor.cls),
      args: value as unknown[],
      refs,
      options: actor.options,
    });
    // the main thread settles the object `actor.id` once the constructor ran
    return this.refFor(actor.id)
      .asPromise()
      .then(() => undefined);
  }

  callActor(actorId: string, call: ActorCall): void {
    if (call.stream !== null) throw new Error(messages.unsupported('generators', this.name));
    const { value, refs } = encodeRefs(call.args);
    call.ref.onDemand = this.fetch;
    this.post({ t: 'actorCall', actorId, id: call.id, method: call.method, args: value as unknown[], refs });
  }

  killActor(actorId: string, options: { readonly noRestart: boolean }): void {
    this.post({ t: 'kill', actorId, noRestart: options.noRestart });
  }

  async close(): Promise<void> {
    // the ambient client lives as long as its worker thread: the driver closes the cluster
  }
}
