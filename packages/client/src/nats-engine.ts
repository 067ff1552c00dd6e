/**
 * The NATS engine: the client's calls on @parajob/nats's Cluster (JetStream streams, remote workers
 * started with `parajob worker nats`): remote, put, get, cancel, refs as top-level arguments (resolved
 * before the task runs) and inside arguments (passed as refs, nats/objects.ts), nested tasks (the
 * same engine runs as the ambient client of tasks on workers, nats/ambient.ts), numCpus and custom
 * resources matched against what workers declare (nats/placement.ts), streaming generators (items
 * on core-NATS subjects with credit, nats/streams.ts and nats/stream-pump.ts). It reports the rest
 * as unsupported, so the same program fails with a clear message instead of behaving differently.
 */
import { batchFailureOf } from '@parajob/core/backend';
import type { Cluster, ClusterOptions } from '@parajob/nats';
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
import { type ActorOutcome, NatsActor } from './nats/actors.js';
import { NatsObjects } from './nats/objects.js';
import { type Needs, needsOf, Placement } from './nats/placement.js';
import type { PumpIo } from './nats/stream-pump.js';
import { DriverStream, type StreamIo } from './nats/streams.js';
import { isRef, type ObjectRef } from './object-ref.js';
import { type ResolvedTaskOptions, retriesError, type WireTaskOptions } from './options.js';
import { encodeRefs } from './ref-codec.js';

export const NATS_SUPPORTS: EngineSupports = {
  actors: true,
  nested: true,
  generators: true,
  retries: true,
  nestedRefs: true,
  resources: true,
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
  /** A streaming task's items and credit (null for a plain task). */
  readonly stream: DriverStream | null;
}

/** A task whose arguments are ready, waiting for the end of this tick to be batched. */
interface Ready {
  readonly id: string;
  readonly fn: Function;
  readonly args: readonly unknown[];
  readonly entry: Pending;
  /** The caller's task span when tracing is on. */
  readonly traceparent?: string;
  /** numCpus/resources when not the defaults: the task goes only to workers declaring them. */
  readonly needs?: Needs;
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
  private readonly pending = new Map<string, Pending>();
  private ready: Ready[] = [];
  /** Set once connected (at once for connect(); at the first use for a worker's ambient client). */
  private cluster: Cluster | undefined;
  private connecting: Promise<Cluster> | undefined;
  /** put() values and refs inside arguments: where each is in the object store. */
  private readonly objects = new NatsObjects(() => this.connected());
  /** What workers declare: tasks with numCpus/resources go only where they fit (nats/placement.ts). */
  private readonly placement = new Placement(() => this.connected());
  private streams: Promise<StreamIo & PumpIo> | undefined;
  private readonly actors = new Map<string, NatsActor>();

  /** What the registered workers declare together, as last read (connect, and tasks with needs). */
  get resources(): Readonly<Record<string, number>> {
    return this.placement.totals;
  }

  private constructor(private readonly open: () => Promise<Cluster>) {}

  /** connect({ servers }): connects now, so bad servers or credentials fail here. */
  static async start(options: ClusterOptions): Promise<NatsEngine> {
    const engine = NatsEngine.lazy(options);
    await engine.connected();
    // clusterResources() from the start (no worker registered yet: empty)
    await engine.placement.read().catch(() => {});
    return engine;
  }

  /** Connects at its first use (a worker's ambient client: most tasks never use it). */
  static lazy(options: ClusterOptions): NatsEngine {
    return new NatsEngine(async () => (await import('@parajob/nats')).connect(options));
  }

  private connected(): Promise<Cluster> {
    this.connecting ??= this.open().then((cluster) => (this.cluster = cluster));
    return this.connecting;
  }

  /** A task's argument received inside a batch, with the refs in it rebuilt (see nats/objects.ts). */
  decodeArg(value: unknown): unknown {
    return this.objects.decodeArg(value as never);
  }

  submit(task: TaskSubmission): void {
    let needs: Needs | undefined;
    try {
      needs = needsOf(task.options);
    } catch (error) {
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
      stream: task.stream === null ? null : this.streamOf(task),
    };
    this.pending.set(task.id, entry);
    whenArgsReady(
      task.args,
      (values) => {
        if (entry.state !== PendingState.WaitingForArgs) return;
        const args = this.sendable(task.args, values);
        // a task with needs goes once a registered worker declares them (else it fails, naming them)
        const placed = needs === undefined ? args : this.placement.check(needs).then(() => args);
        // a stream's first argument is boxed with its token once its inbox listens
        const sendable = entry.stream === null ? placed : this.boxed(entry.stream, placed);
        const enqueue = (args: unknown[]) => {
          if (entry.state !== PendingState.WaitingForArgs) return;
          entry.state = PendingState.Submitted;
          this.enqueue({ id: task.id, fn: task.fn, args, entry, traceparent: task.traceparent, needs });
        };
        if (Array.isArray(sendable)) enqueue(sendable);
        else
          sendable.then(enqueue, (error) => {
            if (entry.state !== PendingState.WaitingForArgs) return;
            entry.stream?.fail(error);
            this.settle(task.id, entry, () => task.ref.reject(error));
          });
      },
      (error) => {
        entry.stream?.fail(error);
        this.settle(task.id, entry, () => task.ref.reject(error));
      },
    );
  }

  /** The driver side of a streaming task: the generator's credit and close go through it. */
  private streamOf(task: TaskSubmission): DriverStream {
    const stream = new DriverStream(task.id, task.stream!, task.options.generatorBackpressure);
    task.stream!.control = {
      taken: () => stream.took(),
      close: () => this.closeStream(task.id),
    };
    return stream;
  }

  /** The arguments of a streaming task, the first one boxed with its stream (nats/stream-wire.ts). */
  private async boxed(stream: DriverStream, args: unknown[] | Promise<unknown[]>): Promise<unknown[]> {
    const out = (await args).slice();
    // a stored ref at top level is resolved by the worker only where it sees it: inside the box
    const stored = (out[0] as { stored?: Promise<unknown> } | undefined)?.stored;
    const first = stored instanceof Promise ? await stored : out[0];
    out[0] = await stream.open(await this.streamIo(), first);
    return out;
  }

  /** The core-NATS channel and object store streams use, on both sides (opened once). */
  streamIo(): Promise<StreamIo & PumpIo> {
    this.streams ??= this.connected().then(async (cluster) => ({
      channel: await cluster.coreChannel(),
      read: async (name: string) => {
        const stored = await cluster.readStored(name);
        if (stored === 'missing') throw new Error(messages.streamItemMissing(name));
        return stored.value;
      },
      store: async (value: unknown) => {
        const name = await cluster.valueName();
        await cluster.storeAs(name, value);
        return name;
      },
    }));
    this.streams.catch(() => {
      this.streams = undefined;
    });
    return this.streams;
  }

  /** The consumer left the loop (break): the producer returns its generator; its batch ends normally. */
  private closeStream(id: string): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    entry.stream?.close();
    if (entry.state !== PendingState.Submitted) {
      this.cancel(id, {});
      return;
    }
    // the batch runs on until the generator's finally blocks ran; its answer is then dropped
    this.pending.delete(id);
    entry.state = PendingState.Cancelled;
    entry.ref.reject(new TaskCancelledError(messages.cancelled(id)));
  }

  /**
   * The arguments as sent: a put() ref at top level becomes its object-store reference (the worker
   * reads it, never the driver's copy); an argument holding refs becomes their markers and
   * locations (nats/objects.ts). Synchronous, the common case, when no argument holds a ref.
   */
  private sendable(args: readonly unknown[], values: unknown[]): unknown[] | Promise<unknown[]> {
    let waits: Promise<void>[] | undefined;
    const out = values.slice();
    for (let i = 0; i < args.length; i++) {
      const original = args[i];
      if (isRef(original)) {
        (waits ??= []).push(
          this.objects.putName(original).then(async (name) => {
            if (name !== undefined) out[i] = (await this.connected()).storedRef(name);
          }),
        );
      } else if (typeof original === 'object' && original !== null && encodeRefs(original).refs) {
        (waits ??= []).push(
          this.objects.encodeArg(original).then((encoded) => {
            out[i] = encoded;
          }),
        );
      }
    }
    return waits === undefined ? out : Promise.all(waits).then(() => out);
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
      entry.stream?.settle({ ok: true });
      this.settle(task.id, entry, () => {});
      return;
    }
    const { maxRetries, retryExceptions } = entry.options;
    // a stream whose items were delivered is not run again (its consumer would see them twice)
    const left = (maxRetries === -1 || entry.attempts <= maxRetries) && !entry.stream?.started;
    const system = (error as Error)?.name === 'WorkerCrashedError';
    if (left && (system || retriesError(retryExceptions as WireTaskOptions['retryExceptions'], error))) {
      entry.group = null;
      this.enqueue(task);
      return;
    }
    entry.stream?.settle({ ok: false, error });
    this.settle(task.id, entry, () => entry.ref.reject(error));
  }

  /** The remote() calls of one tick whose arguments are ready: a few batches, not a message each. */
  private readonly flush = (): void => {
    const ready: Ready[] = [];
    for (const task of this.ready) {
      // a traced task travels alone: its batch carries its span to the worker; a task with needs
      // too: its batch goes to the workers declaring them; a stream too: its pool thread drives it
      if (task.traceparent === undefined && task.needs === undefined && task.entry.stream === null)
        ready.push(task);
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
    const traceparent = live.length === 1 ? live[0]!.traceparent : undefined;
    const needs = live.length === 1 ? live[0]!.needs : undefined;
    const cluster = this.cluster;
    const sent =
      cluster !== undefined
        ? cluster.runMany(live, group.controller.signal, traceparent, needs)
        : this.connected().then((c) => c.runMany(live, group.controller.signal, traceparent, needs));
    sent.then(
      (outcomes) => {
        for (let i = 0; i < live.length; i++) {
          const task = live[i]!;
          const outcome = outcomes[i]!;
          if (outcome.ok) {
            task.entry.stream?.settle({ ok: true });
            this.settle(task.id, task.entry, () => task.entry.ref.resolve(outcome.value));
          } else this.fail(task, outcome.error);
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

  private settle(id: string, entry: Pending, settle: () => void): void {
    this.pending.delete(id);
    if (entry.state !== PendingState.Cancelled) settle();
  }

  /** Stored once in the object store; tasks receive the stored reference, not the driver's copy. */
  put(ref: ObjectRef, value: unknown): void {
    const cluster = this.connected();
    const name = cluster.then((c) => c.valueName());
    this.objects.notePut(ref, name);
    Promise.all([cluster, name])
      .then(([c, n]) => c.storeAs(n, value))
      .then(
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
    // a stream's producer is told to stop too (its finally blocks run if it is still running)
    entry.stream?.close();
    entry.stream?.fail(error);
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

  /** An actor is a batch its worker's pool thread hosts until it is killed (nats/actors.ts). */
  createActor(actor: ActorSubmission): Promise<void> {
    const runtime = {
      run: (cls: Function, args: unknown[], signal: AbortSignal): Promise<ActorOutcome> =>
        this.connected()
          .then(async (c) => {
            // an actor with needs goes once a registered worker declares them (else it fails, naming them)
            const needs = needsOf(actor.options);
            if (needs !== undefined) await this.placement.check(needs);
            return c.runMany([{ fn: cls, args }], signal, undefined, needs);
          })
          .then(
            ([outcome]) => (outcome!.ok ? { ok: true } : { ok: false, error: outcome!.error }),
            (error) => ({ ok: false, error: batchFailureOf(error)?.error ?? error }),
          ),
      encode: (args: readonly unknown[], values: unknown[]) => this.callArgs(args, values),
      io: () => this.streamIo(),
    };
    const created = new NatsActor(actor, runtime);
    this.actors.set(actor.id, created);
    return created.start();
  }

  /**
   * An actor call's arguments, sent in a core-NATS message to its host: top-level refs as their
   * values (the driver has them), refs inside as refs (nats/objects.ts).
   */
  private callArgs(args: readonly unknown[], values: unknown[]): Promise<unknown[]> {
    const out = values.slice();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < args.length; i++) {
      const original = args[i];
      if (!isRef(original) && typeof original === 'object' && original !== null && encodeRefs(original).refs)
        waits.push(
          this.objects.encodeArg(original).then((encoded) => {
            out[i] = encoded;
          }),
        );
    }
    return Promise.all(waits).then(() => out);
  }

  callActor(actorId: string, call: ActorCall): void {
    this.actors.get(actorId)?.call(call);
  }

  killActor(actorId: string, options: { readonly noRestart: boolean }): void {
    this.actors.get(actorId)?.kill(options.noRestart);
  }

  async close(): Promise<void> {
    for (const [id] of this.pending) this.cancel(id, {});
    // their hosts stop and free their slots
    for (const actor of this.actors.values()) actor.kill(true);
    this.actors.clear();
    this.objects.close();
    if (this.connecting !== undefined) await (await this.connecting.catch(() => undefined))?.close();
  }
}
