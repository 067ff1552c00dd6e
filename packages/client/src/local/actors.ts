/**
 * Actors of the local engine: each on a worker thread of its own (as Ray gives each actor its own
 * process), so kill() and a crash touch nothing else. Calls from the driver are sent in submission
 * order (a call waiting for ObjectRef arguments holds back the calls after it); the thread runs
 * them in that order, up to maxConcurrency at once. A crash fails the calls in flight with
 * ActorDiedError (Ray's at-most-once default) and restarts the actor while maxRestarts allows.
 */
import type { WireFunction } from '@parajob/core/backend';
import type { ActorCall, ActorSubmission } from '../engine.js';
import { fromWireError } from '../error-class.js';
import { ActorDiedError } from '../errors.js';
import { messages } from '../messages.js';
import type { ResolvedActorOptions } from '../options.js';
import { whenArgsReady } from './deps.js';
import type { FromWorker } from './protocol.js';
import type { WorkerHandle } from './worker-handle.js';

enum ActorState {
  /** The constructor runs (first time or after a restart); calls queue. */
  Starting = 0,
  Alive = 1,
  Dead = 2,
}

enum CallState {
  WaitingForArgs = 0,
  Ready = 1,
  Sent = 2,
}

interface CallRecord {
  state: CallState;
  readonly call: ActorCall;
  values: unknown[];
  /** A failed argument: the call fails when its turn comes (order is kept). */
  failed: { readonly error: unknown } | null;
}

interface ActorRecord {
  state: ActorState;
  readonly id: string;
  readonly name: string;
  readonly fn: WireFunction;
  readonly options: ResolvedActorOptions;
  /** Constructor arguments, refs resolved (kept for restarts). */
  values: unknown[];
  worker: WorkerHandle | null;
  restarts: number;
  /** Calls not sent yet, in submission order. */
  readonly queue: CallRecord[];
  readonly inFlight: Map<string, CallRecord>;
  created: { resolve: () => void; reject: (error: unknown) => void } | null;
  why: string;
}

export interface ActorHost {
  spawn(): WorkerHandle;
  encode(value: unknown): { value: unknown; refs: boolean };
  decode(value: unknown): unknown;
  onSubmitted(): void;
}

export class ActorManager {
  private readonly actors = new Map<string, ActorRecord>();
  /** Which actor each in-flight call belongs to (worker answers name the call only). */
  private readonly callOwner = new Map<string, ActorRecord>();

  constructor(private readonly host: ActorHost) {}

  create(actor: Omit<ActorSubmission, 'cls'> & { readonly name: string }, fn: WireFunction): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const record: ActorRecord = {
        state: ActorState.Starting,
        id: actor.id,
        name: actor.name,
        fn,
        options: actor.options,
        values: [],
        worker: null,
        restarts: 0,
        queue: [],
        inFlight: new Map(),
        created: { resolve, reject },
        why: '',
      };
      this.actors.set(actor.id, record);
      whenArgsReady(
        actor.args,
        (values) => {
          record.values = values;
          this.start(record);
        },
        (error) => {
          this.actors.delete(actor.id);
          reject(error);
        },
      );
    });
  }

  private start(record: ActorRecord): void {
    record.state = ActorState.Starting;
    const worker = this.host.spawn();
    record.worker = worker;
    worker.begin();
    const { value, refs } = this.host.encode(record.values);
    worker.post({
      t: 'actor',
      id: record.id,
      fn: record.fn,
      args: value as unknown[],
      refs,
      maxConcurrency: record.options.maxConcurrency,
    });
  }

  call(actorId: string, call: ActorCall): void {
    const record = this.actors.get(actorId);
    if (record === undefined || record.state === ActorState.Dead) {
      const error = new ActorDiedError(messages.actorDied(record?.name ?? actorId, record?.why || 'killed'));
      call.stream?.fail(error);
      call.ref.reject(error);
      return;
    }
    const entry: CallRecord = { state: CallState.WaitingForArgs, call, values: [], failed: null };
    record.queue.push(entry);
    if (call.stream !== null)
      call.stream.control = {
        taken: () => record.worker?.post({ t: 'credit', id: call.id }),
        close: () => record.worker?.post({ t: 'cancel', id: call.id }),
      };
    whenArgsReady(
      call.args,
      (values) => {
        entry.values = values;
        entry.state = CallState.Ready;
        this.flush(record);
      },
      (error) => {
        entry.failed = { error };
        entry.state = CallState.Ready;
        this.flush(record);
      },
    );
  }

  /** Sends ready calls in order; stops at the first call still waiting for its arguments. */
  private flush(record: ActorRecord): void {
    if (record.state !== ActorState.Alive) return;
    while (record.queue.length > 0 && record.queue[0]!.state === CallState.Ready) {
      const entry = record.queue.shift()!;
      const { call } = entry;
      if (entry.failed !== null) {
        call.stream?.fail(entry.failed.error);
        call.ref.reject(entry.failed.error);
        continue;
      }
      entry.state = CallState.Sent;
      record.inFlight.set(call.id, entry);
      this.callOwner.set(call.id, record);
      record.worker!.begin();
      const { value, refs } = this.host.encode(entry.values);
      const window = call.stream === null ? 0 : 16;
      record.worker!.post({
        t: 'call',
        id: call.id,
        method: call.method,
        args: value as unknown[],
        refs,
        window,
      });
    }
  }

  async onDone(worker: WorkerHandle, message: Extract<FromWorker, { t: 'done' }>): Promise<void> {
    const starting = this.actors.get(message.id);
    if (starting !== undefined && starting.worker === worker) {
      worker.end();
      if (message.ok) {
        starting.state = ActorState.Alive;
        starting.created?.resolve();
        starting.created = null;
        this.flush(starting);
      } else {
        const error = await fromWireError(message.error);
        this.die(starting, `its constructor threw: ${(error as Error)?.message ?? error}`, error);
      }
      return;
    }
    const record = this.callOwner.get(message.id);
    const entry = record?.inFlight.get(message.id);
    if (record === undefined || entry === undefined || record.worker !== worker) return;
    record.inFlight.delete(message.id);
    this.callOwner.delete(message.id);
    worker.end();
    const { call } = entry;
    if (message.ok) {
      call.stream?.end();
      call.ref.resolve(message.refs ? this.host.decode(message.value) : message.value);
    } else {
      const error = await fromWireError(message.error);
      call.stream?.fail(error);
      call.ref.reject(error);
    }
  }

  onYield(callId: string, value: unknown): void {
    this.callOwner.get(callId)?.inFlight.get(callId)?.call.stream?.push(value);
  }

  kill(actorId: string, noRestart: boolean): void {
    const record = this.actors.get(actorId);
    if (record === undefined || record.state === ActorState.Dead) return;
    if (noRestart) this.die(record, 'killed', undefined);
    else void record.worker?.terminate();
  }

  onExit(worker: WorkerHandle, why: string): void {
    for (const record of this.actors.values()) {
      if (record.worker !== worker || record.state === ActorState.Dead) continue;
      const restartable = record.options.maxRestarts === -1 || record.restarts < record.options.maxRestarts;
      if (!restartable || record.state === ActorState.Starting) {
        this.die(record, `its worker died: ${why}`, undefined);
        continue;
      }
      // at-most-once: calls that were running fail; queued ones run on the restarted actor
      this.failInFlight(
        record,
        new ActorDiedError(messages.actorDied(record.name, `its worker died (${why}) while the call ran`)),
      );
      record.restarts++;
      this.start(record);
    }
  }

  private failInFlight(record: ActorRecord, error: unknown): void {
    for (const { call } of record.inFlight.values()) {
      this.callOwner.delete(call.id);
      call.stream?.fail(error);
      call.ref.reject(error);
    }
    record.inFlight.clear();
  }

  private die(record: ActorRecord, why: string, cause: unknown): void {
    record.state = ActorState.Dead;
    record.why = why;
    const error = new ActorDiedError(
      messages.actorDied(record.name, why),
      cause === undefined ? undefined : { cause },
    );
    record.created?.reject(cause ?? error);
    record.created = null;
    this.failInFlight(record, error);
    for (const { call } of record.queue.splice(0)) {
      call.stream?.fail(error);
      call.ref.reject(error);
    }
    const worker = record.worker;
    record.worker = null;
    if (worker !== null) void worker.terminate();
    this.host.onSubmitted();
  }

  async close(): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const record of this.actors.values()) {
      if (record.worker !== null) stopping.push(record.worker.terminate());
      record.worker = null;
      if (record.state !== ActorState.Dead) this.die(record, 'the client was closed', undefined);
    }
    this.actors.clear();
    await Promise.all(stopping);
  }
}
