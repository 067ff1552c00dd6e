/**
 * Everything a local worker thread does: run tasks (plain, async, streaming), host one actor, and
 * give tasks the ambient client. Results and errors go back as 'done' messages; a task whose result
 * cannot be cloned fails with a SerializationError naming the path.
 */
import { SerializationError } from '@parajob/core';
import type { WireFunction } from '@parajob/core/backend';
import { runInTraceContext, serializeError } from '@parajob/core/backend';
import { findUncloneable, resolveFunction } from '@parajob/core/internal';
import { Client } from '../client.js';
import { taskContext } from '../context.js';
import { toWireError } from '../error-class.js';
import { TaskCancelledError } from '../errors.js';
import { messages } from '../messages.js';
import { decodeRefs } from '../ref-codec.js';
import { type FromWorker, plainRun, type ToWorker } from './protocol.js';
import { Running } from './running.js';
import { WorkerEngine } from './worker-engine.js';

interface ActorHost {
  readonly instance: Record<string, unknown>;
  readonly module: string | undefined;
  readonly maxConcurrency: number;
  active: number;
  readonly queue: Extract<ToWorker, { t: 'call' }>[];
}

const NO_ARGS: readonly unknown[] = [];

const functionKey = (fn: WireFunction) => (fn.source === undefined ? `${fn.module}#${fn.name}` : fn.source);

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as PromiseLike<unknown>).then === 'function';

const isIterator = (value: unknown): value is AsyncIterator<unknown> | Iterator<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Iterator<unknown>).next === 'function' &&
  (Symbol.asyncIterator in value || Symbol.iterator in value);

export class WorkerRuntime {
  private readonly running = new Map<string, Running>();
  /** Resolved task functions by module and name: later runs call them synchronously. */
  private readonly functions = new Map<string, Function>();
  /** Resolved task functions by the number the main thread gave them here. */
  private readonly byNumber: (Function | undefined)[] = [];
  /** Task functions the main thread defined here, by number. */
  private readonly defined: WireFunction[] = [];
  private readonly engine: WorkerEngine;
  private readonly client: Client;
  private actor: ActorHost | undefined;
  /** Pipelined runs, started in order when no task here holds the CPU. */
  private readonly queue: Extract<ToWorker, { t: 'run' }>[] = [];
  /** Tasks started here that hold the CPU: neither answered nor ever blocked in get. */
  private readonly holding = new Set<string>();
  private pumping = false;

  constructor(
    /** `urgent`: sent at once when nothing is queued before it (see outbox.ts). */
    private readonly postMessage: (message: FromWorker, urgent?: boolean) => void,
    resources: Readonly<Record<string, number>>,
    /** Called when the last task here answered: the thread may park until the next message. */
    private readonly mayIdle: () => void = () => {},
  ) {
    this.engine = new WorkerEngine(postMessage, resources, (taskId) => this.blocked(taskId));
    this.client = new Client(this.engine);
  }

  handle(message: ToWorker): void {
    switch (message.t) {
      case 'define':
        this.defined[message.fn] = message.wire;
        return;
      case 'run':
        if (message.queued) {
          this.queue.push(message);
          this.startQueued();
        } else this.run(message);
        return;
      case 'runs': {
        const tasks = message.tasks;
        for (let i = 0; i < tasks.length; i += 3) this.handle(plainRun(tasks, i, message.queued));
        return;
      }
      case 'actor':
        void this.construct(message);
        return;
      case 'call':
        this.actor?.queue.push(message);
        this.pump();
        return;
      case 'cancel': {
        const at = this.queue.findIndex((queued) => queued.id === message.id);
        if (at < 0) this.running.get(message.id)?.cancel();
        else {
          // not started: answered at once (the main thread has failed its ref already)
          this.queue.splice(at, 1);
          this.postMessage({
            t: 'done',
            id: message.id,
            ok: false,
            error: { error: serializeError(new TaskCancelledError(messages.cancelled(message.id))) },
          });
        }
        return;
      }
      case 'credit':
        this.running.get(message.id)?.credit();
        return;
      case 'item':
      case 'itemEnd':
        void this.engine.streamItem(message);
        return;
      case 'object':
        void this.engine.settle(message);
        return;
    }
  }

  private run(message: Extract<ToWorker, { t: 'run' }>): void {
    this.holding.add(message.id);
    const wire = this.defined[message.fn]!;
    const known = this.byNumber[message.fn];
    if (known !== undefined && message.traceparent === undefined) {
      // the path of most runs: the function is resolved, no span to run under, no closure made
      void this.execute(
        message.id,
        wire.module,
        message.window,
        known,
        undefined,
        undefined,
        this.args(message),
      );
      return;
    }
    const fn = this.functions.get(functionKey(wire));
    if (fn !== undefined) this.byNumber[message.fn] = fn;
    // under the caller's task span when it sent one (looked up once the task's module is loaded);
    // a stream runs as its items are pulled, so its span covers that loop, not only the call
    // that makes its generator
    const { traceparent, window } = message;
    const stream = window > 0;
    const call = (f: Function) =>
      traceparent === undefined || stream
        ? f(...this.args(message))
        : runInTraceContext(traceparent, message.id, async () => f(...this.args(message)));
    const around =
      traceparent !== undefined && stream
        ? <T>(work: () => Promise<T>) => runInTraceContext(traceparent, message.id, work)
        : undefined;
    if (fn !== undefined) void this.execute(message.id, wire.module, window, () => call(fn), around);
    else
      void this.execute(
        message.id,
        wire.module,
        window,
        async () => {
          const resolved = await resolveFunction(wire, {});
          this.functions.set(functionKey(wire), resolved);
          this.byNumber[message.fn] = resolved;
          return call(resolved);
        },
        around,
      );
  }

  /** Starts pipelined runs while no task holds the CPU (never from inside another task's call). */
  private startQueued(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.holding.size === 0 && this.queue.length > 0) this.run(this.queue.shift()!);
    } finally {
      this.pumping = false;
    }
  }

  /** A task blocked in get: it holds no CPU until it resumes, so the next pipelined run starts. */
  private blocked(taskId: string | undefined): void {
    if (taskId === undefined || !this.holding.delete(taskId)) return;
    if (this.holding.size === 0 && this.queue.length > 0) queueMicrotask(() => this.startQueued());
  }

  /** A task answered. */
  private answered(id: string): void {
    if (this.holding.delete(id) && this.holding.size === 0 && this.queue.length > 0) this.startQueued();
    if (this.holding.size === 0 && this.queue.length === 0) this.mayIdle();
  }

  /** Nothing of this thread's runs or waits: no task, actor, fetch or stream (see park.ts). */
  idle(): boolean {
    return (
      this.holding.size === 0 &&
      this.queue.length === 0 &&
      this.running.size === 0 &&
      this.actor === undefined &&
      this.engine.idle()
    );
  }

  /** A message the outbox could not clone: a result or stream item becomes the task's SerializationError. */
  unsendable(message: FromWorker, cause: unknown): void {
    if (message.t !== 'done' && message.t !== 'yield') {
      if (message.t === 'submit' || message.t === 'createActor' || message.t === 'actorCall')
        this.engine.failLocally(message.id, this.unsendableError(message.id, message.args, 'args', cause));
      return;
    }
    const value = 'value' in message ? message.value : undefined;
    const error = this.unsendableError(message.id, value, 'result', cause);
    this.postMessage({ t: 'done', id: message.id, ok: false, error: { error: serializeError(error) } });
    // a stream item that cannot be sent ends the stream with that error
    if (message.t === 'yield') this.running.get(message.id)?.cancel();
  }

  private unsendableError(id: string, value: unknown, where: 'args' | 'result', cause: unknown) {
    const found = findUncloneable(value, where);
    const path = found?.path ?? where;
    const what = found?.what ?? 'a value';
    return new SerializationError(
      where === 'args' ? messages.unsendableArgs(id, path, what) : messages.unsendable(id, path, what),
      { path, phase: where === 'args' ? 'arguments' : 'result', cause },
    );
  }

  private args(message: { args: readonly unknown[]; refs: boolean }): unknown[] {
    return (message.refs ? decodeRefs(message.args, this.engine.resolver) : message.args) as unknown[];
  }

  private async construct(message: Extract<ToWorker, { t: 'actor' }>): Promise<void> {
    await this.execute(message.id, message.fn.module, 0, async () => {
      const Class = (await resolveFunction(message.fn, {})) as new (
        ...args: unknown[]
      ) => Record<string, unknown>;
      const instance = new Class(...this.args(message));
      this.actor = {
        instance,
        module: message.fn.module,
        maxConcurrency: message.maxConcurrency,
        active: 0,
        queue: [],
      };
      return null;
    });
    this.pump();
  }

  /** Starts queued actor calls in submission order, up to maxConcurrency at once. */
  private pump(): void {
    const actor = this.actor;
    if (actor === undefined) return;
    while (actor.active < actor.maxConcurrency && actor.queue.length > 0) {
      const call = actor.queue.shift()!;
      actor.active++;
      const run = this.execute(call.id, actor.module, call.window, () => {
        const method = actor.instance[call.method];
        if (typeof method !== 'function')
          throw new TypeError(messages.actorMethod(actor.instance.constructor?.name ?? 'actor', call.method));
        return method.apply(actor.instance, this.args(call));
      });
      void Promise.resolve(run).finally(() => {
        actor.active--;
        this.pump();
      });
    }
  }

  /**
   * Runs one callable in its task context and reports the outcome (never throws). A call that
   * returns a plain value is answered at once; a promise is raced against cancellation. `call`
   * is applied to `self` and `args` (none: a closure that holds them).
   */
  private execute(
    id: string,
    module: string | undefined,
    window: number,
    call: Function,
    around?: <T>(work: () => Promise<T>) => Promise<T>,
    self?: unknown,
    args: readonly unknown[] = NO_ARGS,
  ): void | Promise<void> {
    const running = new Running(id, this.client);
    let out: unknown;
    try {
      out = taskContext.run(running, Reflect.apply, call, self, args);
    } catch (error) {
      return this.fail(id, module, error);
    }
    if (window === 0 && !isThenable(out)) return this.reply(id, out);
    return this.settle(id, module, window, running, out, around);
  }

  private async settle(
    id: string,
    module: string | undefined,
    window: number,
    running: Running,
    out: unknown,
    around?: <T>(work: () => Promise<T>) => Promise<T>,
  ): Promise<void> {
    this.running.set(id, running);
    try {
      const work = taskContext.run(running, async () => {
        const value = await out;
        if (window === 0) return value;
        if (!isIterator(value)) throw new TypeError(messages.generatorNotStream());
        // traced once the task's module is loaded (it may be what turns tracing on here)
        const loop = () => this.stream(id, value, running, window);
        await (around ? around(loop) : loop());
        return undefined;
      });
      work.catch(() => {});
      this.reply(id, await Promise.race([work, running.whenCancelled]));
    } catch (error) {
      await this.fail(id, module, error);
    } finally {
      this.running.delete(id);
    }
  }

  private async fail(id: string, module: string | undefined, error: unknown): Promise<void> {
    const wire = await toWireError(error, module);
    this.postMessage({ t: 'done', id, ok: false, error: wire }, this.leavesIdle(id));
    this.answered(id);
  }

  private async stream(
    id: string,
    it: AsyncIterator<unknown> | Iterator<unknown>,
    running: Running,
    window: number,
  ): Promise<void> {
    let sent = 0;
    try {
      for (;;) {
        if (running.cancelled) return;
        const step = await it.next();
        if (step.done || running.cancelled) return;
        const { value, refs } = this.engine.encode(step.value);
        this.postMessage({ t: 'yield', id, value, refs });
        sent++;
        while (sent - running.acked >= window && !running.cancelled) await running.nextCredit();
      }
    } finally {
      // break in the consumer: the generator's finally blocks run
      if (running.cancelled) await it.return?.();
    }
  }

  private reply(id: string, result: unknown): void {
    const { value, refs } = this.engine.encode(result);
    this.postMessage({ t: 'done', id, ok: true, value, refs }, this.leavesIdle(id));
    this.answered(id);
  }

  /** Whether the answer of task `id` leaves no task here holding the CPU or queued (send it at once). */
  private leavesIdle(id: string): boolean {
    return this.queue.length === 0 && this.holding.size === (this.holding.has(id) ? 1 : 0);
  }
}
