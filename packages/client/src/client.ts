/**
 * Client: Ray's core API over an engine. The same calls and semantics on every engine:
 *
 *   const client = await connect();                    // embedded local cluster
 *   const ref = client.remote(square).remote(4);       // ObjectRef, at once
 *   await client.get(ref);                             // 16
 */
import { currentInstrumentation } from '@parajob/core/backend';
import { isActorClass } from './actor-class.js';
import { type ActorHandle, actorIdOf, makeActorHandle } from './actor-handle.js';
import { driverClientIs, setDriverClient } from './context.js';
import type { CancelOptions, ClientEngine } from './engine.js';
import { ObjectRefGenerator } from './generator.js';
import { newId } from './ids.js';
import { messages } from './messages.js';
import { isRef, ObjectRef, RefState } from './object-ref.js';
import {
  type ActorOptions,
  DEFAULT_TASK_OPTIONS,
  type ResolvedTaskOptions,
  resolveActorOptions,
  resolveTaskOptions,
  type TaskOptions,
} from './options.js';
import type { RemoteFunction } from './remote.js';
import { type GetOptions, get, type WaitOptions, type WaitResult, wait } from './waiting.js';

enum ClientState {
  Open = 0,
  Closed = 1,
}

const isAsyncGeneratorFunction = (fn: Function) => fn.constructor?.name === 'AsyncGeneratorFunction';

export class Client {
  private state = ClientState.Open;
  /** The task id behind each ref of a numReturns > 1 call (cancel(ref) cancels the task). */
  private readonly taskOf = new WeakMap<object, string>();
  private readonly remotes = new WeakMap<Function, RemoteFunction<any>>();

  constructor(readonly engine: ClientEngine) {}

  /** What the engine can do (e.g. `client.supports.actors`). */
  get supports() {
    return this.engine.supports;
  }

  /** Resources the cluster declares: `{ CPU: 4, GPU: 1 }` (Ray's cluster_resources()). */
  clusterResources(): Readonly<Record<string, number>> {
    return this.engine.resources;
  }

  /** A remote function (Ray's @ray.remote): `.remote(...args)` submits, `.options({...})` configures. */
  remote<F extends (...args: any[]) => any>(fn: F, options: TaskOptions = {}): RemoteFunction<F> {
    if (typeof fn !== 'function' || isActorClass(fn)) throw new TypeError(messages.notRemotable(fn));
    if (Object.keys(options).length > 0)
      return this.remoteWith(fn, resolveTaskOptions(DEFAULT_TASK_OPTIONS, options));
    // `client.remote(f).remote(x)` in a loop: one remote function per f, not one per call
    let remote = this.remotes.get(fn);
    if (remote === undefined) this.remotes.set(fn, (remote = this.remoteWith(fn, DEFAULT_TASK_OPTIONS)));
    return remote as RemoteFunction<F>;
  }

  private remoteWith<F extends (...args: any[]) => any>(
    fn: F,
    options: ResolvedTaskOptions,
  ): RemoteFunction<F> {
    const streaming = options.numReturns === 'streaming' || isAsyncGeneratorFunction(fn);
    return {
      remote: (...args: unknown[]) => this.submit(fn, args, options, streaming),
      options: (more: TaskOptions) => this.remoteWith(fn, resolveTaskOptions(options, more)),
    } as unknown as RemoteFunction<F>;
  }

  private submit(fn: Function, args: unknown[], options: ResolvedTaskOptions, streaming: boolean): unknown {
    this.checkOpen();
    const id = newId();
    const ref = new ObjectRef(id);
    const stream = streaming ? new ObjectRefGenerator(id) : null;
    if (stream) this.taskOf.set(stream, id);
    const taskOptions: ResolvedTaskOptions = streaming ? { ...options, numReturns: 'streaming' } : options;
    // a span per task when tracing is on (@parajob/observe): from submit until its ref settles; the
    // engine settles a streaming task's ref too, when its generator returns or throws
    const observed = currentInstrumentation()?.startCall({
      callId: id,
      backend: this.engine.name,
      nJobs: 1,
      workers: 1,
      inCaller: false,
      mode: streaming ? 'ordered' : 'list',
      total: streaming ? null : 1,
      depth: 1,
      kind: 'task',
    });
    if (observed) {
      ref.listen(() => {
        // a consumer that leaves the loop early cancels the task: its choice, not the task's failure
        const failed = ref.state === RefState.Failed && !stream?.leftEarly;
        observed.end(failed ? ref.error : undefined);
      });
      const { traceparent } = observed;
      observed.run(() =>
        this.engine.submit({ id, fn, args, options: taskOptions, ref, stream, traceparent }),
      );
    } else this.engine.submit({ id, fn, args, options: taskOptions, ref, stream });
    if (stream) return stream;
    return options.numReturns === 1 ? ref : this.split(ref, options.numReturns as number);
  }

  /** numReturns > 1: one ref per element of the task's returned array. */
  private split(ref: ObjectRef, n: number): ObjectRef[] {
    const parts = Array.from({ length: n }, (_, i) => new ObjectRef(`${ref.id}.${i}`));
    for (const part of parts) this.taskOf.set(part, ref.id);
    ref.listen(() => {
      const value = ref.value as ArrayLike<unknown> | undefined;
      if (ref.state === RefState.Failed) for (const part of parts) part.reject(ref.error);
      else if (value === null || typeof value !== 'object' || value.length !== n) {
        const got = Array.isArray(value) ? `an array of ${value.length}` : typeof value;
        const error = new TypeError(messages.numReturnsMismatch(n, got));
        for (const part of parts) part.reject(error);
      } else for (let i = 0; i < n; i++) parts[i]!.resolve(value[i]);
    });
    return parts;
  }

  /** Stores a value in the cluster once; pass the ref to many tasks (Ray's put). */
  put<T>(value: T): ObjectRef<T> {
    this.checkOpen();
    if (isRef(value)) throw new TypeError(messages.putRef());
    const ref = new ObjectRef<T>(newId());
    this.engine.put(ref, value);
    return ref;
  }

  get<T>(ref: ObjectRef<T>, options?: GetOptions): Promise<T>;
  get<T extends readonly ObjectRef<any>[]>(
    refs: T,
    options?: GetOptions,
  ): Promise<{ -readonly [K in keyof T]: T[K] extends ObjectRef<infer V> ? V : never }>;
  get(refs: ObjectRef | readonly ObjectRef[], options?: GetOptions): Promise<unknown> {
    return get(refs, options);
  }

  /** Waits until `numReturns` refs are ready; both lists keep the input order (Ray's wait). */
  wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<WaitResult<T>> {
    return wait(refs, options);
  }

  /** Cancels the task behind a ref (or a generator): its ref rejects with TaskCancelledError. */
  cancel(ref: ObjectRef | ObjectRefGenerator, options: CancelOptions = {}): void {
    if (!isRef(ref) && !(ref instanceof ObjectRefGenerator)) throw new TypeError(messages.notRef(ref));
    this.engine.cancel(this.taskOf.get(ref) ?? ref.id, {
      force: options.force ?? false,
      recursive: options.recursive ?? true,
    });
  }

  /** Creates an actor and waits until its constructor ran: `await client.actor(Counter, 0)`. */
  async actor<C extends new (...args: any[]) => any>(
    Class: C,
    ...args: ConstructorParameters<C>
  ): Promise<ActorHandle<InstanceType<C>>> {
    return this.actorWith(Class, {}, ...args);
  }

  /** `client.actor` with options: `await client.actorWith(Counter, { maxRestarts: 1 }, 0)`. */
  async actorWith<C extends new (...args: any[]) => any>(
    Class: C,
    options: ActorOptions,
    ...args: ConstructorParameters<C>
  ): Promise<ActorHandle<InstanceType<C>>> {
    this.checkOpen();
    if (!isActorClass(Class)) throw new TypeError(messages.notActorClass(Class));
    if (!this.engine.supports.actors) throw new Error(messages.unsupported('actors', this.engine.name));
    const id = newId();
    await this.engine.createActor({ id, cls: Class, args, options: resolveActorOptions(options) });
    return makeActorHandle<InstanceType<C>>(id, Class.name, (method, callArgs) => {
      this.checkOpen();
      const callId = newId();
      const ref = new ObjectRef(callId);
      const method_ = (Class.prototype as Record<string, unknown>)[method];
      if (typeof method_ !== 'function') throw new TypeError(messages.actorMethod(Class.name, method));
      if (isAsyncGeneratorFunction(method_)) {
        const stream = new ObjectRefGenerator(callId);
        this.engine.callActor(id, { id: callId, method, args: callArgs, ref, stream });
        return stream;
      }
      this.engine.callActor(id, { id: callId, method, args: callArgs, ref, stream: null });
      return ref;
    });
  }

  /** Kills an actor: pending and later calls fail with ActorDiedError (no restart unless noRestart: false). */
  kill(actor: ActorHandle<unknown>, options: { noRestart?: boolean } = {}): void {
    const id = actorIdOf(actor);
    if (id === undefined) throw new TypeError(messages.notActorClass(actor));
    this.engine.killActor(id, { noRestart: options.noRestart ?? true });
  }

  /** Cancels what still runs, stops the workers (local) or disconnects (NATS). */
  async close(): Promise<void> {
    if (this.state === ClientState.Closed) return;
    this.state = ClientState.Closed;
    if (driverClientIs(this)) setDriverClient(undefined);
    await this.engine.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private checkOpen(): void {
    if (this.state === ClientState.Closed) throw new Error(messages.closed());
  }
}
