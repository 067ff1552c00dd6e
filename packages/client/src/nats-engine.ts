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
import { DEFAULT_TASK_OPTIONS } from './options.js';
import { encodeRefs } from './ref-codec.js';

export const NATS_SUPPORTS: EngineSupports = {
  actors: false,
  nested: false,
  generators: false,
  retries: false,
  nestedRefs: false,
  resources: false,
  forceCancel: false,
  errorClasses: false,
};

enum PendingState {
  WaitingForArgs = 0,
  Submitted = 1,
  Cancelled = 2,
}

interface Pending {
  state: PendingState;
  nats: NatsObjectRef | null;
  readonly ref: ObjectRef;
}

export class NatsEngine implements ClientEngine {
  readonly name = 'nats';
  readonly supports = NATS_SUPPORTS;
  readonly resources: Readonly<Record<string, number>> = {};
  /** put() refs: tasks receive the object-store reference, not the driver's copy. */
  private readonly stored = new WeakMap<ObjectRef, NatsObjectRef>();
  private readonly pending = new Map<string, Pending>();

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
    const entry: Pending = { state: PendingState.WaitingForArgs, nats: null, ref: task.ref };
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
        try {
          // the task's span travels on the wire: the task runs under it on its worker
          entry.nats = this.cluster.remoteTraced(task.fn, args, task.traceparent);
        } catch (error) {
          return this.settle(task.id, entry, () => task.ref.reject(error));
        }
        entry.nats.then(
          (value) => this.settle(task.id, entry, () => task.ref.resolve(value)),
          // the cluster's refs may reject with core's BatchFailure: the task's own error is inside
          (error) =>
            this.settle(task.id, entry, () => task.ref.reject(batchFailureOf(error)?.error ?? error)),
        );
      },
      (error) => this.settle(task.id, entry, () => task.ref.reject(error)),
    );
  }

  private unsupportedIn(task: TaskSubmission): keyof EngineSupports | undefined {
    if (task.stream !== null) return 'generators';
    const o = task.options;
    if (Object.keys(o.resources).length > 0 || o.numCpus !== DEFAULT_TASK_OPTIONS.numCpus) return 'resources';
    if (o.maxRetries !== DEFAULT_TASK_OPTIONS.maxRetries || o.retryExceptions !== false) return 'retries';
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
    if (options.force) throw new Error(messages.unsupported('forceCancel', this.name));
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    const nats = entry.nats;
    entry.state = PendingState.Cancelled;
    entry.ref.reject(new TaskCancelledError(messages.cancelled(id)));
    if (nats !== null) this.cluster.cancel(nats);
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
