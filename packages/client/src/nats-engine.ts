/**
 * The NATS engine: the client's calls on @parajob/nats's Cluster (JetStream streams, remote workers
 * started with `parajob worker --nats`). It adapts what that cluster does today — remote, put,
 * get, cancel, refs as top-level arguments — and reports the rest as unsupported, so the same
 * program fails with a clear message instead of behaving differently.
 */
import { batchFailureOf } from '@parajob/core/backend';
import type { Cluster, ClusterOptions, ObjectRef as NatsObjectRef } from '@parajob/nats';
import type {
  ActorCall,
  ActorSubmission,
  CancelOptions,
  ClientEngine,
  EngineSupports,
  TaskSubmission,
} from './engine.js';
import { TaskCancelledError } from './errors.js';
import { whenArgsReady } from './local/deps.js';
import { messages } from './messages.js';
import { isRef, type ObjectRef } from './object-ref.js';
import {
  DEFAULT_TASK_OPTIONS,
  type ResolvedTaskOptions,
  retriesError,
  type WireTaskOptions,
} from './options.js';
import { encodeRefs } from './ref-codec.js';

export const NATS_SUPPORTS: EngineSupports = {
  actors: false,
  nested: false,
  generators: false,
  retries: true,
  nestedRefs: false,
  resources: false,
  forceCancel: true,
  errorClasses: true,
};

enum PendingState {
  WaitingForArgs = 0,
  Submitted = 1,
  Cancelled = 2,
}

/** Tasks sent as one batch: it is stopped once every task in it is cancelled. */
interface Group {
  readonly controller: AbortController;
  live: number;
  /** Stopped by a force cancel of one of its tasks: the others are sent again (not an attempt). */
  resend: boolean;
}

interface Pending {
  state: PendingState;
  group: Group | null;
  readonly ref: ObjectRef;
  /** Times it was sent (retries send it again, as a task of a later batch). */
  attempts: number;
  readonly options: ResolvedTaskOptions;
}

/** A task whose arguments are ready, waiting for the end of this tick to be batched. */
interface Ready {
  readonly id: string;
  readonly fn: Function;
  readonly args: readonly unknown[];
  readonly entry: Pending;
  /** The caller's task span when tracing is on. */
  readonly traceparent?: string;
}

/**
 * Tasks per batch when `n` are ready in one tick: one each for a few (they spread over the
 * workers' slots), up to MAX_BATCH for a burst (16 batches or more, so both workers stay busy).
 */
const MAX_BATCH = 256;
const batchSize = (n: number) => Math.max(1, Math.min(MAX_BATCH, Math.floor(n / 16)));

export class NatsEngine implements ClientEngine {
  readonly name = 'nats';
  readonly supports = NATS_SUPPORTS;
  readonly resources: Readonly<Record<string, number>> = {};
  /** put() refs: tasks receive the object-store reference, not the driver's copy. */
  private readonly stored = new WeakMap<ObjectRef, NatsObjectRef>();
  private readonly pending = new Map<string, Pending>();
  private ready: Ready[] = [];

  private constructor(private readonly cluster: Cluster) {}

  static async start(options: ClusterOptions): Promise<NatsEngine> {
    const nats = await import('@parajob/nats');
    return new NatsEngine(await nats.connect(options));
  }

  submit(task: TaskSubmission): void {
    const unsupported = this.unsupportedIn(task);
    if (unsupported !== undefined) {
      const error = new Error(messages.unsupported(unsupported, this.name));
      task.stream?.fail(error);
      task.ref.reject(error);
      return;
    }
    const entry: Pending = {
      state: PendingState.WaitingForArgs,
      group: null,
      ref: task.ref,
      attempts: 0,
      options: task.options,
    };
    this.pending.set(task.id, entry);
    whenArgsReady(
      task.args,
      (values) => {
        if (entry.state !== PendingState.WaitingForArgs) return;
        entry.state = PendingState.Submitted;
        const args = values.map((v, i) => {
          const original = task.args[i];
          return isRef(original) ? (this.stored.get(original) ?? v) : v;
        });
        this.enqueue({ id: task.id, fn: task.fn, args, entry, traceparent: task.traceparent });
      },
      (error) => this.settle(task.id, entry, () => task.ref.reject(error)),
    );
  }

  private enqueue(ready: Ready): void {
    if (this.ready.length === 0) queueMicrotask(this.flush);
    ready.entry.attempts++;
    this.ready.push(ready);
  }

  /**
   * Ray's failure semantics, per task: a system failure (its worker died, or its batch ran out of
   * deliveries) is retried up to maxRetries; an exception only when retryExceptions matches it.
   */
  private fail(task: Ready, error: unknown): void {
    const { entry } = task;
    if (entry.state !== PendingState.Submitted) {
      this.settle(task.id, entry, () => {});
      return;
    }
    const { maxRetries, retryExceptions } = entry.options;
    const left = maxRetries === -1 || entry.attempts <= maxRetries;
    const system = (error as Error)?.name === 'WorkerCrashedError';
    if (left && (system || retriesError(retryExceptions as WireTaskOptions['retryExceptions'], error))) {
      entry.group = null;
      this.enqueue(task);
      return;
    }
    this.settle(task.id, entry, () => entry.ref.reject(error));
  }

  /** The remote() calls of one tick whose arguments are ready: a few batches, not a message each. */
  private readonly flush = (): void => {
    const ready: Ready[] = [];
    for (const task of this.ready) {
      // a traced task travels alone: its batch carries its span to the worker
      if (task.traceparent === undefined) ready.push(task);
      else this.send([task]);
    }
    this.ready = [];
    const size = batchSize(ready.length);
    for (let i = 0; i < ready.length; i += size) this.send(ready.slice(i, i + size));
  };

  private send(tasks: readonly Ready[]): void {
    const group: Group = { controller: new AbortController(), live: 0, resend: false };
    const live = tasks.filter((t) => t.entry.state === PendingState.Submitted);
    if (live.length === 0) return;
    for (const t of live) t.entry.group = group;
    group.live = live.length;
    this.cluster
      .runMany(live, group.controller.signal, live.length === 1 ? live[0]!.traceparent : undefined)
      .then(
        (outcomes) => {
          for (let i = 0; i < live.length; i++) {
            const task = live[i]!;
            const outcome = outcomes[i]!;
            if (outcome.ok) this.settle(task.id, task.entry, () => task.entry.ref.resolve(outcome.value));
            else this.fail(task, outcome.error);
          }
        },
        (error) => {
          if (group.resend) {
            for (const t of live) {
              if (t.entry.state !== PendingState.Submitted) continue;
              t.entry.attempts--;
              t.entry.group = null;
              this.enqueue(t);
            }
            return;
          }
          // one task whose arguments cannot be sent fails alone: its batch is sent again task by task
          if (live.length > 1 && (error as Error)?.name === 'SerializationError') {
            for (const t of live) this.send([t]);
            return;
          }
          const cause = batchFailureOf(error)?.error ?? error;
          for (const task of live) this.fail(task, cause);
        },
      );
  }

  private unsupportedIn(task: TaskSubmission): keyof EngineSupports | undefined {
    if (task.stream !== null) return 'generators';
    const o = task.options;
    if (Object.keys(o.resources).length > 0 || o.numCpus !== DEFAULT_TASK_OPTIONS.numCpus) return 'resources';
    for (const a of task.args) if (!isRef(a) && encodeRefs(a).refs) return 'nestedRefs';
    return undefined;
  }

  private settle(id: string, entry: Pending, settle: () => void): void {
    this.pending.delete(id);
    if (entry.state !== PendingState.Cancelled) settle();
  }

  put(ref: ObjectRef, value: unknown): void {
    const stored = this.cluster.put(value);
    this.stored.set(ref, stored);
    stored.then(
      () => ref.resolve(value),
      (error) => ref.reject(error),
    );
  }

  cancel(id: string, options: CancelOptions): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    entry.state = PendingState.Cancelled;
    const error = new TaskCancelledError(messages.cancelled(id));
    entry.ref.reject(error);
    // a batch stops when its last live task is cancelled (the others' refs are not touched); a
    // force cancel stops it at once (its worker replaces the thread of a synchronous task) and
    // sends its other tasks again
    const group = entry.group;
    if (group === null) return;
    if (--group.live === 0) group.controller.abort(error);
    else if (options.force) {
      group.resend = true;
      group.controller.abort(error);
    }
  }

  createActor(_actor: ActorSubmission): Promise<void> {
    return Promise.reject(new Error(messages.unsupported('actors', this.name)));
  }

  callActor(_actorId: string, _call: ActorCall): void {
    throw new Error(messages.unsupported('actors', this.name));
  }

  killActor(): void {
    throw new Error(messages.unsupported('actors', this.name));
  }

  async close(): Promise<void> {
    for (const [id] of this.pending) this.cancel(id, {});
    await this.cluster.close();
  }
}
