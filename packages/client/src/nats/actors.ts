/**
 * Driver side of actors on NATS: one NatsActor per `client.actor()`. The actor runs as a batch of
 * one task on some worker, which constructs the class and hosts the instance (nats/actor-host.ts);
 * calls are sent in submission order, once their ref arguments are ready, to the host that
 * announced itself on the actor's inbox (each host numbers them from 0). At most once, as Ray by
 * default: when the host dies (its batch ends without a kill, or the batch is delivered to another
 * worker), the calls sent to it fail with ActorDiedError, and the actor restarts (the constructor
 * runs again) while `maxRestarts` allows; after that every call fails with ActorDiedError.
 */
import type { ActorCall, ActorSubmission } from '../engine.js';
import { fromWireError } from '../error-class.js';
import { ActorDiedError } from '../errors.js';
import { whenArgsReady } from '../local/deps.js';
import { messages } from '../messages.js';
import { ACTOR_BOX, type CallerMessage, type HostMessage } from './actor-wire.js';
import { decodeMessage, encodeMessage, newToken, STREAM_BOX } from './stream-wire.js';
import { DriverStream, type StreamIo } from './streams.js';

enum ActorState {
  /** Its batch is sent; no host announced itself yet. */
  Starting = 0,
  Live = 1,
  Dead = 2,
}

interface PendingCall {
  readonly call: ActorCall;
  /** The arguments as sent. */
  readonly args: unknown[];
  readonly stream: DriverStream | null;
}

export type ActorOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** What an actor needs of its engine: run its batch, encode arguments, the streams' channel. */
export interface ActorRuntime {
  /** Runs the actor's batch (its class with `args`) until it ends. */
  run(cls: Function, args: unknown[], signal: AbortSignal): Promise<ActorOutcome>;
  /** Arguments as a task gets them (refs inside encoded); `values` has the top-level refs' values. */
  encode(args: readonly unknown[], values: unknown[]): Promise<unknown[]>;
  io(): Promise<StreamIo>;
}

/** Items a streaming actor method may run ahead of its consumer. */
const METHOD_STREAM_WINDOW = 16;

export class NatsActor {
  private state = ActorState.Starting;
  private readonly token = newToken();
  private host: string | undefined;
  private restartsLeft: number;
  /** Calls sent to the current host, by their number. */
  private readonly sent = new Map<number, PendingCall>();
  private nextCall = 0;
  /** Calls whose arguments are ready, in submission order, waiting for a host. */
  private unsent: PendingCall[] = [];
  /** Calls become sendable in submission order (a call waiting for its arguments holds back the rest). */
  private order: Promise<void> = Promise.resolve();
  /** The batch's arguments (the first one boxed): a restart sends them again. */
  private batchArgs: unknown[] = [];
  private io: StreamIo | undefined;
  private unsubscribe: (() => void) | undefined;
  private controller = new AbortController();
  private why = 'killed';
  private created: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  constructor(
    private readonly actor: ActorSubmission,
    private readonly runtime: ActorRuntime,
  ) {
    this.restartsLeft = actor.options.maxRestarts;
  }

  /** Sends the actor's batch; resolves once its constructor ran on a worker. */
  async start(): Promise<void> {
    const io = await this.runtime.io();
    this.io = io;
    this.unsubscribe = io.channel.subscribe(this.token, 'items', (data) => this.heard(data));
    await io.channel.flush();
    const args = await this.encoded(this.actor.args);
    const box = {
      [ACTOR_BOX]: { token: this.token, maxConcurrency: this.actor.options.maxConcurrency },
      arg: args[0],
    };
    this.batchArgs = [box, ...args.slice(1)];
    const created = new Promise<void>((resolve, reject) => {
      this.created = { resolve, reject };
    });
    this.launch();
    return created;
  }

  private encoded(args: readonly unknown[]): Promise<unknown[]> {
    return new Promise<unknown[]>((resolve, reject) =>
      whenArgsReady(args, (values) => this.runtime.encode(args, values).then(resolve, reject), reject),
    );
  }

  private launch(): void {
    const controller = new AbortController();
    this.controller = controller;
    void this.runtime.run(this.actor.cls, this.batchArgs, controller.signal).then((outcome) => {
      if (this.state === ActorState.Dead || controller !== this.controller) return;
      const crashed = !outcome.ok && (outcome.error as Error)?.name === 'WorkerCrashedError';
      if (this.created !== undefined && !outcome.ok && !crashed) {
        // the constructor threw (or its batch could not be sent): the actor never lived
        const created = this.created;
        this.die(String((outcome.error as Error)?.message ?? outcome.error));
        created.reject(outcome.error);
        return;
      }
      const why = outcome.ok
        ? 'its host stopped'
        : `its worker died: ${(outcome.error as Error)?.message ?? outcome.error}`;
      if (this.restart(why)) this.launch();
    });
  }

  /** The host is gone: the calls sent to it fail; true when the actor may start again. */
  private restart(why: string): boolean {
    this.host = undefined;
    // at most once: a call its host may have run is not sent again
    const lost = [...this.sent.values()];
    this.sent.clear();
    for (const pending of lost)
      this.fail(
        pending,
        new ActorDiedError(messages.actorDied(this.actor.cls.name, `${why} while the call ran`)),
      );
    if (this.restartsLeft === 0) {
      this.die(why);
      return false;
    }
    if (this.restartsLeft > 0) this.restartsLeft--;
    this.state = ActorState.Starting;
    return true;
  }

  call(call: ActorCall): void {
    if (this.state === ActorState.Dead) {
      this.refuse(call);
      return;
    }
    const stream = call.stream === null ? null : new DriverStream(call.id, call.stream, METHOD_STREAM_WINDOW);
    if (stream !== null) call.stream!.control = { taken: () => stream.took(), close: () => stream.close() };
    const args = this.encoded(call.args);
    // a call waiting for its arguments holds back the calls after it; one whose arguments fail fails alone
    this.order = this.order.then(() =>
      args.then(
        (values) => {
          const pending: PendingCall = { call, args: values, stream };
          if (this.state === ActorState.Dead) this.fail(pending, this.diedError());
          else {
            this.unsent.push(pending);
            this.flush();
          }
        },
        (error) => {
          stream?.fail(error);
          call.ref.reject(error);
        },
      ),
    );
  }

  kill(noRestart: boolean): void {
    if (this.state === ActorState.Dead) return;
    if (this.host !== undefined) this.tell({ k: 'kill', p: this.host });
    if (!noRestart && this.restart('killed with noRestart: false')) {
      this.launch();
      return;
    }
    this.die('killed');
  }

  private diedError(): ActorDiedError {
    return new ActorDiedError(messages.actorDied(this.actor.cls.name, this.why));
  }

  private refuse(call: ActorCall): void {
    const error = this.diedError();
    call.stream?.fail(error);
    call.ref.reject(error);
  }

  private die(why: string): void {
    if (this.state === ActorState.Dead) return;
    this.state = ActorState.Dead;
    this.why = why;
    this.created = undefined;
    const calls = [...this.sent.values(), ...this.unsent];
    this.sent.clear();
    this.unsent = [];
    for (const pending of calls) this.fail(pending, this.diedError());
    this.unsubscribe?.();
  }

  /** Sends the calls that wait for a host, in order, once one is there. */
  private flush(): void {
    if (this.state !== ActorState.Live || this.host === undefined) return;
    const p = this.host;
    for (const pending of this.unsent.splice(0)) {
      const n = this.nextCall++;
      this.sent.set(n, pending);
      const message: CallerMessage = { k: 'call', p, n, m: pending.call.method, a: pending.args };
      const stream = pending.stream;
      if (stream === null) this.tell(message);
      else {
        // a streaming method's items come on a stream of their own, listening before the call goes
        const opened = stream.open(this.io!, null);
        this.order = this.order.then(() =>
          opened.then(
            (box) => this.tell({ ...message, s: box[STREAM_BOX] }),
            (error) => {
              this.sent.delete(n);
              this.fail(pending, error);
            },
          ),
        );
      }
    }
  }

  private heard(data: Uint8Array): void {
    const m = decodeMessage<HostMessage>(data);
    if (m === undefined || this.state === ActorState.Dead) return;
    if (m.k === 'start') {
      if (m.p === this.host) {
        this.tell({ k: 'alive', p: m.p });
        return;
      }
      // a host while another is known: the batch was delivered again (its worker died)
      if (this.host !== undefined && !this.restart('its worker died')) {
        this.tell({ k: 'kill', p: m.p });
        return;
      }
      this.host = m.p;
      this.nextCall = 0;
      this.state = ActorState.Live;
      this.created?.resolve();
      this.created = undefined;
      this.flush();
      return;
    }
    if (m.k !== 'done' || m.p !== this.host) return;
    const pending = this.sent.get(m.n);
    if (pending === undefined) return;
    this.sent.delete(m.n);
    if (m.e === undefined) {
      pending.stream?.settle({ ok: true });
      pending.call.ref.resolve(m.v);
    } else
      void fromWireError(m.e).then((error) => {
        pending.stream?.settle({ ok: false, error });
        pending.call.ref.reject(error);
      });
  }

  private fail(pending: PendingCall, error: unknown): void {
    pending.stream?.fail(error);
    pending.call.ref.reject(error);
  }

  private tell(m: CallerMessage): void {
    try {
      this.io?.channel.publish(this.token, 'credit', encodeMessage(m));
    } catch {
      // the connection is closing: the actor's batch ends with it
    }
  }
}
