/**
 * The Ray-like client on the same streams and protocol as NatsBackend:
 *
 *   const cluster = await connect({ servers: 'nats://host:4222' });
 *   const ref = cluster.remote(square).remote(4);      // an ObjectRef, at once
 *   await cluster.get(ref);                              // 16
 *
 * Each `.remote()` call is a one-task call of its own, so cancel() stops exactly that task.
 */

import { nuid } from '@nats-io/transport-node';
import { delayed } from '@parajob/core';
import {
  batchFailureOf,
  CallCancelledError,
  nestedBackendOf,
  TaskBatch,
  TaskFailure,
} from '@parajob/core/backend';
import { NatsBackend, type NatsBackendOptions } from './backend.js';
import { valueRef } from './codec.js';
import type { CoreChannel } from './core-channel.js';
import { messages } from './messages.js';

export type ClusterOptions = NatsBackendOptions;

/** A future value computed (or stored) on the cluster: await it, or pass it to get(), wait(), other tasks. */
export class ObjectRef<T = unknown> implements PromiseLike<T> {
  /** @internal */ settled = false;
  /** @internal */ readonly promise: Promise<T>;
  constructor(
    readonly id: string,
    promise: Promise<T>,
    /** @internal */ readonly stored?: object,
  ) {
    this.promise = promise.finally(() => {
      this.settled = true;
    });
    // a rejected ref nobody awaits must not crash the process
    this.promise.catch(() => {});
  }
  // biome-ignore lint/suspicious/noThenProperty: an ObjectRef is a thenable on purpose (Ray's ObjectRef)
  then<A = T, B = never>(
    onFulfilled?: ((v: T) => A | PromiseLike<A>) | null,
    onRejected?: ((e: unknown) => B | PromiseLike<B>) | null,
  ) {
    return this.promise.then(onFulfilled, onRejected);
  }
}

/** Arguments of a remote function: each may also be an ObjectRef of that type. */
export type RemoteArgs<A extends unknown[]> = { [K in keyof A]: A[K] | ObjectRef<A[K]> };

export interface RemoteFunction<F extends (...args: any[]) => any> {
  remote(...args: RemoteArgs<Parameters<F>>): ObjectRef<Awaited<ReturnType<F>>>;
}

/** One task of a `runMany` batch. */
export interface BatchedCall {
  readonly fn: Function;
  readonly args: readonly unknown[];
}

/** What a task of a `runMany` batch did. */
export type BatchedOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

export class GetTimeoutError extends Error {
  override name = 'GetTimeoutError';
}

export class Cluster {
  private readonly backend: NatsBackend;
  private readonly controllers = new Map<string, AbortController>();
  private readonly stored: string[] = [];
  private closed = false;

  constructor(options: ClusterOptions) {
    this.backend = new NatsBackend(options);
  }

  /** Connects now so bad servers or credentials fail here. */
  async start(): Promise<this> {
    await this.backend.configure(1, {
      maxNbytes: 1024 * 1024,
      tempFolder: null,
      innerMaxNumThreads: null,
      verbose: 0,
      log: () => {},
    });
    return this;
  }

  /** Live capacity: the sum of the registered workers' slots (waits for one when none is alive). */
  capacity(): Promise<number> {
    return this.backend.capacity();
  }

  remote<F extends (...args: any[]) => any>(fn: F): RemoteFunction<F> {
    return { remote: (...args) => this.launch(fn, args as unknown[], undefined) };
  }

  /**
   * For @parajob/client's NATS engine: one task like `remote(fn).remote(...args)`, carrying the
   * caller's task span (W3C `traceparent`) on the wire so the task runs under it on its worker.
   */
  remoteTraced(fn: Function, args: readonly unknown[], traceparent: string | undefined): ObjectRef<any> {
    return this.launch(fn, [...args], traceparent);
  }

  private launch(fn: Function, args: unknown[], traceparent: string | undefined): ObjectRef<any> {
    if (this.closed) throw new Error(messages.client.closed());
    const id = nuid.next();
    const controller = new AbortController();
    this.controllers.set(id, controller);
    return new ObjectRef(id, this.run(id, fn, args, controller.signal, traceparent));
  }

  private async run(
    id: string,
    fn: Function,
    args: unknown[],
    signal: AbortSignal,
    traceparent: string | undefined,
  ): Promise<any> {
    try {
      // refs of other tasks are awaited here; stored values travel by reference and are read by the worker
      const ready = await Promise.all(
        args.map((a) => (a instanceof ObjectRef ? (a.stored ?? a.promise) : a)),
      );
      const batch = new TaskBatch({
        callId: id,
        firstIndex: 0,
        tasks: [delayed(fn as (...a: unknown[]) => unknown)(...ready)],
        nested: nestedBackendOf(this.backend),
        depth: 1,
        settle: false,
      });
      batch.traceparent = traceparent;
      return (await this.backend.submit(batch, { signal, timeout: null }))[0];
    } catch (error) {
      // a one-task batch: the ref rejects with the task's own error, not the backend's BatchFailure wrapper
      throw batchFailureOf(error)?.error ?? error;
    } finally {
      this.controllers.delete(id);
      // the ref settles now; its cleanup (blob deletes) runs after, and close() waits for it
      void this.backend.stopCall(id).catch(() => {});
    }
  }

  /**
   * Runs many small tasks as one batch: one message to a worker and one back, whatever their
   * number (the client coalesces the remote() calls of one tick into these). Each task's outcome
   * comes back on its own (a failing task does not fail the others); `signal` stops the whole batch;
   * `traceparent`, the caller's span, goes to the worker with the batch.
   */
  async runMany(
    calls: readonly BatchedCall[],
    signal: AbortSignal,
    traceparent?: string,
    /** Resources the tasks need (`{ CPU: 2, gpu: 1 }`): only workers declaring them run the batch. */
    needs?: Readonly<Record<string, number>>,
  ): Promise<BatchedOutcome[]> {
    if (this.closed) throw new Error(messages.client.closed());
    const id = nuid.next();
    try {
      const tasks = new Array(calls.length);
      for (let i = 0; i < calls.length; i++) {
        const { fn, args } = calls[i]!;
        // stored values travel by reference and are read by the worker
        const ready = args.some((a) => a instanceof ObjectRef)
          ? await Promise.all(args.map((a) => (a instanceof ObjectRef ? (a.stored ?? a.promise) : a)))
          : args;
        tasks[i] = delayed(fn as (...a: unknown[]) => unknown)(...ready);
      }
      const batch = new TaskBatch({
        callId: id,
        firstIndex: 0,
        tasks,
        nested: nestedBackendOf(this.backend),
        depth: 1,
        settle: true,
      });
      batch.traceparent = traceparent;
      if (needs !== undefined) this.backend.setNeeds(batch, needs);
      const values = await this.backend.submit(batch, { signal, timeout: null });
      return Array.from(values, (value) =>
        value instanceof TaskFailure ? { ok: false, error: value.error } : { ok: true, value },
      );
    } finally {
      // its cleanup (blob deletes) runs after, and close() waits for it
      void this.backend.stopCall(id).catch(() => {});
    }
  }

  /** What each registered worker declares: `{ CPU: <slots>, ...its --resources }`. */
  async workerResources(): Promise<Readonly<Record<string, number>>[]> {
    if (this.closed) throw new Error(messages.client.closed());
    const records = await this.backend.workers();
    return records.map((r) => ({ ...r.resources, CPU: r.capacity }));
  }

  /** Stores a value once on the cluster; tasks take the returned ref as an argument (Ray's put). */
  put<T>(value: T): ObjectRef<T> {
    if (this.closed) throw new Error(messages.client.closed());
    const id = nuid.next();
    const stored = this.backend.storeValue(value).then(({ name, ref }) => {
      this.stored.push(name);
      return ref;
    });
    const ref: ObjectRef<T> = new ObjectRef(
      id,
      stored.then(() => value),
    );
    // tasks receive the object-store reference, never the driver's copy
    Object.defineProperty(ref, 'stored', { value: stored });
    return ref;
  }

  /**
   * For @parajob/client's refs passed inside arguments: a fresh object-store name, where the ref's
   * owner stores its value (storeAs) once it has it, and where any task of the namespace reads it
   * (readStored). Names are unguessable and carry this client's session (deleted with it).
   */
  valueName(): Promise<string> {
    if (this.closed) return Promise.reject(new Error(messages.client.closed()));
    return this.backend.valueName();
  }

  /** Stores `value` under a name from valueName(); deleted on close(). */
  async storeAs(name: string, value: unknown): Promise<void> {
    if (this.closed) throw new Error(messages.client.closed());
    await this.backend.storeValue(value, name);
    this.stored.push(name);
  }

  /** The value stored under `name` (by any client of the namespace), or `missing` while it is not there yet. */
  readStored(name: string): Promise<{ readonly value: unknown } | 'missing'> {
    if (this.closed) return Promise.reject(new Error(messages.client.closed()));
    return this.backend.readValue(name);
  }

  /** For @parajob/client's streaming generators: core-NATS messages on this namespace's stream subjects. */
  coreChannel(): Promise<CoreChannel> {
    if (this.closed) return Promise.reject(new Error(messages.client.closed()));
    return this.backend.coreChannel();
  }

  /** A ref to the value stored under `name`: as a task argument, the worker reads it from the store. */
  storedRef<T>(name: string): ObjectRef<T> {
    const ref = new ObjectRef<T>(name, new Promise<never>(() => {}));
    Object.defineProperty(ref, 'stored', { value: Promise.resolve(valueRef(name)) });
    return ref;
  }

  get<T>(ref: ObjectRef<T>, options?: { timeout?: number }): Promise<T>;
  get<T>(refs: readonly ObjectRef<T>[], options?: { timeout?: number }): Promise<T[]>;
  async get(refs: ObjectRef | readonly ObjectRef[], options: { timeout?: number } = {}): Promise<unknown> {
    const list = Array.isArray(refs) ? refs : [refs as ObjectRef];
    for (const r of list) if (!(r instanceof ObjectRef)) throw new TypeError(messages.client.notRef(r));
    const all = Promise.all(list.map((r) => r.promise));
    const values =
      options.timeout === undefined
        ? await all
        : await withTimeout(all, options.timeout, () => list.filter((r) => !r.settled).length);
    return Array.isArray(refs) ? values : values[0];
  }

  /** Waits until `numReturns` refs (default 1) are done, or the timeout passes. */
  async wait<T>(
    refs: readonly ObjectRef<T>[],
    options: { numReturns?: number; timeout?: number } = {},
  ): Promise<{ ready: ObjectRef<T>[]; notReady: ObjectRef<T>[] }> {
    const numReturns = Math.min(options.numReturns ?? 1, refs.length);
    await new Promise<void>((resolve) => {
      let done = refs.filter((r) => r.settled).length;
      if (done >= numReturns) return resolve();
      const timer = options.timeout === undefined ? undefined : setTimeout(resolve, options.timeout);
      for (const r of refs) {
        if (r.settled) continue;
        r.promise
          .then(
            () => {},
            () => {},
          )
          .then(() => {
            if (++done >= numReturns) {
              if (timer) clearTimeout(timer);
              resolve();
            }
          });
      }
    });
    const ready: ObjectRef<T>[] = [];
    const notReady: ObjectRef<T>[] = [];
    for (const r of refs) (r.settled && ready.length < numReturns ? ready : notReady).push(r);
    return { ready, notReady };
  }

  /** Cancels a task: dropped from the queue, or stopped on its worker; its ref rejects. */
  cancel(ref: ObjectRef): void {
    this.controllers.get(ref.id)?.abort(new CallCancelledError(messages.client.cancelled(ref.id)));
  }

  /** Cancels what still runs, deletes stored values, disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.controllers.values()) c.abort(new CallCancelledError(messages.client.closed()));
    await this.backend.deleteValues(this.stored).catch(() => {});
    await this.backend.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Connects to the cluster (the Ray-like client). */
export async function connect(options: ClusterOptions): Promise<Cluster> {
  return new Cluster(options).start();
}

function withTimeout<T>(promise: Promise<T>, ms: number, pending: () => number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GetTimeoutError(messages.client.getTimeout(ms, pending()))),
      ms,
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
