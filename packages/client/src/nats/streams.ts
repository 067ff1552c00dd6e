/**
 * Driver side of streaming tasks on NATS: one DriverStream per `async function*` task. It owns the
 * inbox its items arrive on (`parajob.<ns>.streams.<token>.items`, the token unguessable, like the
 * reply subjects of batches), gives them in order to the ObjectRefGenerator, sends credit as the
 * consumer takes them (back-pressure: the producer stays at most `window` items ahead) and close
 * when it leaves the loop. The batch's outcome ends the stream: its items first, then the end or
 * the error. A second producer after items were delivered means the first one's worker died (the
 * batch was delivered again): the stream fails with WorkerCrashedError instead of repeating items.
 */
import { WorkerCrashedError } from '@parajob/core';
import type { CoreChannel } from '@parajob/nats';
import type { StreamSink } from '../generator.js';
import { messages } from '../messages.js';
import {
  type DriverMessage,
  decodeMessage,
  encodeMessage,
  newToken,
  type ProducerMessage,
  STREAM_BOX,
  type StreamBox,
} from './stream-wire.js';

/** How long the end of a stream may trail its batch's result (they travel on two connections). */
const END_GRACE_MS = 5_000;

enum StreamState {
  /** Items flow; the batch has not answered yet. */
  Open = 0,
  /** The batch answered: waiting for the items sent before it. */
  Ending = 1,
  Done = 2,
}

export interface StreamIo {
  readonly channel: CoreChannel;
  /** Reads a value a producer stored (an item too big for a message). */
  read(name: string): Promise<unknown>;
}

export class DriverStream {
  readonly token = newToken();
  private state = StreamState.Open;
  private producer: string | undefined;
  /** Items received, and taken by the consumer (the credit sent). */
  private received = 0;
  private taken = 0;
  /** Items the producer said it sent (its end message), once heard. */
  private ended: number | undefined;
  /** Items are given in order, a stored one once read: each waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private io: StreamIo | undefined;
  private finish: (() => void) | undefined;
  private grace: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly id: string,
    private readonly sink: StreamSink,
    private readonly window: number,
  ) {}

  /** Listening before the task is sent: the first argument boxed with the token. */
  open(io: StreamIo, firstArg: unknown): Promise<StreamBox> {
    this.io = io;
    this.unsubscribe = io.channel.subscribe(this.token, 'items', (data) => this.heard(io, data));
    return io.channel
      .flush()
      .then(() => ({ [STREAM_BOX]: { token: this.token, window: this.window }, arg: firstArg }));
  }

  /** Items were delivered: the task must not run again (its consumer would see them twice). */
  get started(): boolean {
    return this.received > 0;
  }

  /** The consumer took an item: the producer may run one further. */
  took(): void {
    this.taken++;
    this.sendCredit();
  }

  /** The consumer left the loop: the producer returns its generator (its finally blocks run). */
  close(): void {
    this.closed = true;
    if (this.producer !== undefined) this.send({ k: 'close', p: this.producer });
  }

  /** The batch answered: the stream ends (or fails) after the items sent before the answer. */
  settle(outcome: { ok: true } | { ok: false; error: unknown }): void {
    if (this.state !== StreamState.Open) return;
    this.state = StreamState.Ending;
    const end = () => {
      if (this.state === StreamState.Done) return;
      this.done();
      if (outcome.ok) this.sink.end();
      else this.sink.fail(outcome.error);
    };
    this.finish = () => void this.chain.then(end);
    // a worker that died sends no end: its items are all here, or lost with it
    if (this.ended !== undefined && this.ended <= this.received) this.finish();
    else this.grace = setTimeout(() => this.finish?.(), END_GRACE_MS);
  }

  /** Fails the stream now (closed client, lost item, crashed producer). */
  fail(error: unknown): void {
    if (this.state === StreamState.Done) return;
    this.done();
    void this.chain.then(() => this.sink.fail(error));
  }

  private done(): void {
    this.state = StreamState.Done;
    clearTimeout(this.grace);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private heard(io: StreamIo, data: Uint8Array): void {
    const m = decodeMessage<ProducerMessage>(data);
    if (m === undefined || this.state === StreamState.Done) return;
    if (m.k === 'start') {
      if (this.producer === undefined || (this.producer !== m.p && this.received === 0)) this.producer = m.p;
      else if (this.producer !== m.p) {
        // the batch was delivered again after items came: the first producer's worker died
        this.send({ k: 'close', p: m.p });
        this.fail(
          new WorkerCrashedError(messages.streamWorkerCrashed(this.id), { exitReason: 'CONNECTION_LOST' }),
        );
        return;
      }
      // (again) while it waits for credit: tell it where the consumer is, or that it left
      if (this.closed) this.send({ k: 'close', p: m.p });
      else this.sendCredit();
      return;
    }
    if (m.p !== this.producer || !Number.isSafeInteger(m.n)) return;
    if (m.k === 'end') {
      this.ended = m.n;
      if (this.state === StreamState.Ending && m.n <= this.received) this.finish?.();
      return;
    }
    if (m.n !== this.received) {
      if (m.n > this.received) this.fail(new Error(messages.streamItemLost(this.id, this.received, m.n)));
      return;
    }
    this.received++;
    const item = m.s === undefined ? Promise.resolve(m.v) : io.read(m.s);
    this.chain = this.chain.then(() =>
      item.then(
        // after the end or a failure, the sink drops it
        (value) => this.sink.push(value),
        (error) => this.fail(error),
      ),
    );
    if (this.state === StreamState.Ending && this.ended !== undefined && this.ended <= this.received)
      this.finish?.();
  }

  private sendCredit(): void {
    if (this.producer !== undefined && !this.closed)
      this.send({ k: 'credit', p: this.producer, n: this.taken });
  }

  private send(m: DriverMessage): void {
    try {
      this.io?.channel.publish(this.token, 'credit', encodeMessage(m));
    } catch {
      // the connection is closing: the batch's outcome ends the stream
    }
  }
}
