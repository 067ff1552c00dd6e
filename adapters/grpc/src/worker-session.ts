/**
 * Worker side: one driver's Session stream. It grants credit (one per slot, one more per
 * finished batch), enforces it — a batch beyond the credit granted is refused, never queued — and
 * runs each admitted batch on the shared executor. Whatever a client sends (a bad id, a
 * duplicate id, bytes that do not decode, a hostile batch) is answered on this stream or
 * ignored; nothing escapes to the process.
 */
import v8 from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import { type SerializedError, serializeError, type WireBatch, type WireResult } from '@parajob/core/backend';
import { failedBatch, type Lifecycle, type RemoteExecutor, unsendableResult } from '@parajob/remote';
import { messages } from './messages.js';
import type { DriverMessage, WorkerMessage } from './proto.js';

export type SessionCall = grpc.ServerDuplexStream<DriverMessage, WorkerMessage>;

/** What every session of one worker shares. */
export interface SessionHost {
  readonly executor: RemoteExecutor;
  readonly lifecycle: Lifecycle;
  readonly concurrency: number;
  readonly maxMessageBytes: number;
}

/**
 * Batches beyond the credit (or with a running id) a session may send before it is closed. A
 * driver never sends one; each refusal is an answer written to a client that need not read it.
 */
export const MAX_REFUSALS = 64;

/** Why a running batch was stopped: the driver cancelled it, or the worker hands it back. */
type StopReason = 'cancelled' | 'shutdown';

export class WorkerSession {
  private readonly running = new Map<number, AbortController>();
  private credit: number;
  /** Credit earned while the driver was not reading our answers: granted once it reads them. */
  private owed = 0;
  private refusals = 0;
  private state: 'open' | 'ending' | 'closed' = 'open';

  constructor(
    private readonly call: SessionCall,
    private readonly host: SessionHost,
    private readonly onClosed: (session: WorkerSession) => void,
  ) {
    this.credit = host.concurrency;
    call.on('data', (message: DriverMessage) => this.receive(message));
    // the driver half-closed: answer what still runs, then close our side
    call.on('end', () => {
      if (this.state === 'open') this.state = 'ending';
      this.endIfDone();
    });
    for (const event of ['cancelled', 'error', 'close'] as const) call.on(event, () => this.closed());
    this.send({ credit: { slots: this.credit } });
  }

  private receive(message: DriverMessage): void {
    if (message.cancel) {
      for (const id of message.cancel.batchIds ?? []) this.running.get(Number(id))?.abort('cancelled');
      return;
    }
    const batch = message.batch;
    if (!batch) return;
    const id = Number(batch.id);
    if (!Number.isSafeInteger(id) || id < 0) return; // no id to answer: nothing a driver waits for
    const refusal = this.running.has(id)
      ? messages.worker.duplicateId(id)
      : this.credit <= 0
        ? messages.worker.overCredit(id, this.host.concurrency)
        : this.host.lifecycle.begin()
          ? undefined
          : messages.worker.shuttingDown();
    if (refusal !== undefined) {
      if (this.host.lifecycle.state === 'serving' && ++this.refusals > MAX_REFUSALS) this.abuse();
      else this.refuse(id, refusal);
      return;
    }
    this.credit--;
    const controller = new AbortController();
    this.running.set(id, controller);
    void this.run(id, batch.payload, Number(batch.timeoutMs), controller.signal)
      // run() answers every outcome; should anything still throw, the driver gets it, not the process
      .catch((error: unknown) => this.refuse(id, messages.worker.unanswerable(id, String(error))))
      .finally(() => {
        this.running.delete(id);
        this.host.lifecycle.end();
        if (this.host.lifecycle.state === 'serving') this.restoreCredit();
        this.endIfDone();
      });
  }

  private async run(id: number, payload: unknown, timeoutMs: number, signal: AbortSignal): Promise<void> {
    let decoded: unknown;
    try {
      if (!Buffer.isBuffer(payload)) throw new Error('no payload');
      decoded = v8.deserialize(payload);
    } catch (error) {
      return this.answer(
        id,
        encodeResult(null, failedBatch(new Error(messages.worker.badPayload((error as Error).message)))),
      );
    }
    const timeout = Number.isSafeInteger(timeoutMs) && timeoutMs > 0 ? timeoutMs : null;
    const result = await this.host.executor.run(decoded, { signal, timeout });
    const reason = signal.reason as StopReason | undefined;
    // handed back at shutdown: no answer, the driver sees the session end and retries elsewhere
    if (reason === 'shutdown') return;
    if (reason === 'cancelled') return this.send({ result: { id, cancelled: true } });
    this.answer(id, encodeResult(decoded as WireBatch, result));
  }

  private answer(id: number, bytes: Buffer): void {
    if (bytes.length > this.host.maxMessageBytes) {
      const error = new Error(messages.size.resultTooLarge(id, bytes.length, this.host.maxMessageBytes));
      this.send({ result: { id, failure: encodeFailure(serializeError(error)) } });
    } else this.send({ result: { id, payload: bytes } });
  }

  /**
   * One more slot for the driver — unless it is not reading what we send: answers would pile up
   * in this process without bound, so the slot is owed until the stream drains.
   */
  private restoreCredit(): void {
    if (this.call.writableNeedDrain) {
      if (this.owed++ === 0) this.call.once('drain', () => this.payOwed());
      return;
    }
    this.credit++;
    this.send({ credit: { slots: 1 } });
  }

  private payOwed(): void {
    const slots = this.owed;
    this.owed = 0;
    if (slots === 0 || this.state === 'closed' || this.host.lifecycle.state !== 'serving') return;
    this.credit += slots;
    this.send({ credit: { slots } });
  }

  /** A client that keeps sending beyond its credit is not a driver: its session ends. */
  private abuse(): void {
    if (this.state === 'closed') return;
    this.call.emit('error', {
      code: grpc.status.FAILED_PRECONDITION,
      details: messages.worker.abuse(MAX_REFUSALS),
    });
    this.closed();
  }

  private refuse(id: number, message: string): void {
    this.send({ result: { id, failure: encodeFailure(serializeError(new Error(message))) } });
  }

  private send(message: WorkerMessage): void {
    if (this.state !== 'closed') this.call.write(message);
  }

  /** Stops this session's batches at shutdown (they are not answered: the driver retries them). */
  handBack(): void {
    for (const controller of this.running.values()) controller.abort('shutdown');
  }

  /** Ends the session: cleanly when idle, as UNAVAILABLE when batches were handed back. */
  end(): void {
    if (this.state === 'closed') return;
    if (this.running.size > 0)
      this.call.emit('error', { code: grpc.status.UNAVAILABLE, details: messages.worker.shuttingDown() });
    else this.call.end();
    this.closed();
  }

  private endIfDone(): void {
    if (this.state !== 'ending' || this.running.size > 0) return;
    this.call.end();
    this.closed();
  }

  private closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const controller of this.running.values()) controller.abort('cancelled');
    this.onClosed(this);
  }
}

function encodeFailure(error: SerializedError): Buffer {
  try {
    return v8.serialize(error);
  } catch {
    return v8.serialize({ ...error, props: {}, value: undefined, cause: undefined });
  }
}

/**
 * A result that cannot be encoded becomes a SerializationError naming the task and the path
 * (`result.cb`), or saying the results could not be sent (@parajob/remote): never a throw.
 */
function encodeResult(wire: WireBatch | null, result: WireResult): Buffer {
  try {
    return v8.serialize(result);
  } catch (error) {
    return v8.serialize(unsendableResult(wire, result, error));
  }
}
