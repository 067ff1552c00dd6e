/**
 * Worker side: what happens to one pulled message. Nothing a client publishes on the work
 * subject can make this throw: a message without the protocol's headers, with a reply subject
 * outside this namespace's results, with a body that does not decode or a batch that the policy
 * refuses, ends acked or terminated (never redelivered forever) and, where a driver can be named,
 * answered with an error; every other outcome is the batch's answer. Only a failure to reach the
 * server (publish, object store) hands the batch back for another try.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { WireBatch } from '@parajob/core/backend';
import { failedBatch, type Lifecycle, type RemoteExecutor } from '@parajob/remote';
import { BlobError, fetchBody, restoreBlobs, unpack } from './codec.js';
import type { SessionCheck } from './liveness.js';
import { messages } from './messages.js';
import { H, type Names } from './names.js';
import { untilServerBack } from './outage.js';
import { DEFAULT_MAX_ATTEMPTS } from './resources.js';
import type { TaskBody } from './result.js';
import type { RunningBatches, StopReason } from './worker-cancels.js';
import type { Answer, ResultPublisher } from './worker-publish.js';
import { FIRST, type Redeliveries } from './worker-redelivery.js';

/** Attempts a message may declare: beyond this, a hand-made header cannot keep a batch alive. */
const MAX_DECLARED_ATTEMPTS = 100;
/** Ids and subject tails: dot-separated tokens of safe characters (no wildcards, no spaces). */
const SUBJECT_TAIL = /^(?=.{1,256}$)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

export interface BatchContext {
  readonly names: Names;
  readonly executor: RemoteExecutor;
  readonly publisher: ResultPublisher;
  readonly running: RunningBatches;
  readonly lifecycle: Lifecycle;
  readonly store: () => Promise<ObjectStore>;
  readonly sessions: SessionCheck;
  /** Which deliveries are attempts (worker-redelivery.ts). */
  readonly redeliveries: Redeliveries;
  readonly ackWaitMs: number;
  /** Reports a kind of bad input once per worker, so a flood does not flood the log. */
  readonly logOnce: (kind: string, line: string) => void;
  readonly log: (line: string) => void;
}

/** The protocol headers of a task message, checked. */
interface Envelope {
  readonly batchId: string;
  readonly call: string;
  readonly reply: string;
  readonly attempts: number;
  /** JetStream's delivery count until the delivery is judged (worker-redelivery.ts), then the attempt. */
  readonly attempt: number;
  readonly bodyBlob: string | undefined;
}

export class BatchHandler {
  constructor(private readonly ctx: BatchContext) {}

  /** Handles one message to its end (ack, term or nak). Never rejects. */
  async handle(m: JsMsg): Promise<void> {
    try {
      await this.dispatch(m);
    } catch (error) {
      // the server or the object store failed us (not the batch): another delivery may succeed
      this.ctx.log(messages.worker.handBack(m.headers?.get(H.batch) ?? '?', (error as Error).message));
      try {
        m.nak(1_000);
      } catch {
        // the connection is closed: the server redelivers the batch after its ack wait
      }
    }
  }

  private async dispatch(m: JsMsg): Promise<void> {
    const envelope = this.envelope(m);
    if (typeof envelope === 'string') {
      this.ctx.logOnce(envelope, messages.worker.dropped(envelope));
      m.term();
      return;
    }
    if (this.ctx.running.isCancelled(envelope.call)) {
      m.term();
      return;
    }
    // a cancelled call's batch, or one of a driver that is gone, is dropped, never run (liveness.ts)
    const verdict = await this.ctx.sessions.verdict(m.headers);
    if (verdict !== 'run') {
      // a live driver that was only silent sends the batch again when told (backend.ts)
      if (verdict === 'gone')
        await this.ctx.publisher.publish({
          subject: envelope.reply,
          batchId: envelope.batchId,
          attempt: envelope.attempt,
          body: { kind: 'abandoned' },
        });
      m.term();
      return;
    }
    if (!this.ctx.lifecycle.begin()) {
      await this.handBack(m, envelope);
      return;
    }
    try {
      await this.admitted(m, envelope);
    } finally {
      this.ctx.lifecycle.end();
    }
  }

  /** The message's headers, or the name of what is wrong with them. */
  private envelope(m: JsMsg): Envelope | string {
    const h = m.headers;
    const batchId = h?.get(H.batch) ?? '';
    const call = h?.get(H.call) ?? '';
    const reply = h?.get(H.reply) ?? '';
    if (!SUBJECT_TAIL.test(batchId)) return 'no valid Parajob-Batch header';
    if (!SUBJECT_TAIL.test(call)) return 'no valid Parajob-Call header';
    // answers go only to this namespace's results subjects, which the results stream captures
    const results = this.ctx.names.results('');
    if (!reply.startsWith(results) || !SUBJECT_TAIL.test(reply.slice(results.length)))
      return `a Parajob-Reply header outside ${this.ctx.names.allResults}`;
    const declared = Number(h?.get(H.attempts));
    const attempts =
      Number.isSafeInteger(declared) && declared >= 1
        ? Math.min(declared, MAX_DECLARED_ATTEMPTS)
        : DEFAULT_MAX_ATTEMPTS;
    const bodyBlob = h?.get(H.blob) || undefined;
    if (bodyBlob !== undefined && bodyBlob !== `${batchId}.body`)
      return 'a Parajob-Body-Blob of another batch';
    return { batchId, call, reply, attempts, attempt: m.info.deliveryCount, bodyBlob };
  }

  private async admitted(m: JsMsg, delivered: Envelope): Promise<void> {
    // tells the server the batch is alive (while it is judged, its values are read, then while it
    // runs), so a long batch, or one whose values wait out a server restart, is not redelivered
    // after the ack wait
    const working = setInterval(
      () => m.working(),
      Math.min(Math.max(this.ctx.ackWaitMs / 3, 100), 2 ** 31 - 1),
    );
    try {
      const judged = delivered.attempt <= 1 ? FIRST : await this.ctx.redeliveries.judge(m, delivered.batchId);
      // judging a redelivery takes a moment, in which its call may have been cancelled
      if (delivered.attempt > 1 && this.ctx.running.isCancelled(delivered.call)) {
        m.term();
        return;
      }
      if (judged.kind === 'park') {
        // a live worker runs it: its heartbeats hold this delivery back, its ack removes the batch
        this.ctx.log(messages.worker.parked(delivered.batchId, delivered.attempt));
        this.park(m);
        return;
      }
      const e: Envelope = { ...delivered, attempt: judged.attempt };
      if (delivered.attempt > 1)
        this.ctx.log(messages.worker.redelivered(e.batchId, delivered.attempt, e.attempt, e.attempts));
      const answer = (body: Answer['body']): Answer => ({
        subject: e.reply,
        batchId: e.batchId,
        attempt: e.attempt,
        body,
      });
      if (e.attempt > e.attempts) {
        // every earlier attempt died with its worker: report it durably, and remove the batch
        await this.ctx.publisher.publish(answer({ kind: 'crashed', attempts: e.attempts }));
        m.term();
        if (judged.recorded) void this.ctx.redeliveries.forget(e.batchId);
        return;
      }
      const held = this.ctx.redeliveries.hold(e.batchId, judged.recorded);
      try {
        await this.decodeAndRun(m, e, answer);
      } finally {
        held.release();
      }
    } finally {
      clearInterval(working);
    }
  }

  /** Gives the delivery back for an ack wait (worker-redelivery.ts): not an attempt. */
  private park(m: JsMsg): void {
    try {
      m.nak(this.ctx.ackWaitMs);
    } catch {
      // the connection is closed: the server redelivers it after the ack wait all the same
    }
  }

  private async decodeAndRun(m: JsMsg, e: Envelope, answer: (body: Answer['body']) => Answer): Promise<void> {
    // a server restart while the values are read is waited out (outage.ts), not a hand-back
    const task = await untilServerBack(`reading batch ${e.batchId}`, () => this.decode(m, e));
    if (task instanceof Error) {
      await this.ctx.publisher.publish(answer({ kind: 'result', result: failedBatch(task) }));
      await m.ackAck().catch(() => m.ack());
      return;
    }
    const { signal, done } = this.ctx.running.start(e.call);
    try {
      const result = await this.ctx.executor.run(task.wire, {
        signal,
        timeout: task.timeout,
        // for --metrics: redeliveries, and the time the batch waited in the stream
        attempt: e.attempt,
        queuedAt: Math.floor(m.info.timestampNanos / 1e6),
      });
      const stopped = signal.reason as StopReason | undefined;
      if (stopped === 'shutdown') await this.handBack(m, e);
      else if (stopped === 'cancelled') m.term();
      else {
        await this.ctx.publisher.publish(answer({ kind: 'result', result }), task.wire as WireBatch);
        // the result is stored (its message id dedupes a rerun): the slot pulls its next batch
        // while the ack travels, instead of waiting one more round trip
        void m.ackAck().catch(() => {
          try {
            m.ack();
          } catch {
            // the connection is closed: the server redelivers; the rerun's result is a duplicate the driver drops
          }
        });
      }
    } finally {
      done();
    }
  }

  /**
   * Gives a batch back without running it to its end (this worker is stopping). Its driver is told
   * and sends it again as a new message, and this delivery is terminated: a nak would count it
   * towards the batch's max deliveries, which are for deliveries that died with their worker.
   * When the answer cannot be published (the server is away), nak: a redelivery follows.
   */
  private async handBack(m: JsMsg, e: Envelope): Promise<void> {
    try {
      await this.ctx.publisher.publish({
        subject: e.reply,
        batchId: e.batchId,
        attempt: e.attempt,
        body: { kind: 'handedBack' },
      });
    } catch {
      m.nak();
      return;
    }
    m.term();
  }

  /**
   * The task body with its large values restored, or an Error for a body this worker cannot read
   * (a missing or unreadable blob included: no other delivery could read it either). Only a
   * failure to reach the object store rejects, so the batch is handed back.
   */
  private async decode(m: JsMsg, e: Envelope): Promise<{ wire: unknown; timeout: number | null } | Error> {
    try {
      const bytes = e.bodyBlob === undefined ? m.data : await fetchBody(e.bodyBlob, this.ctx.store);
      let body: TaskBody;
      try {
        body = unpack<TaskBody>(bytes);
      } catch (error) {
        return new Error(messages.worker.badBody((error as Error).message));
      }
      if (body === null || typeof body !== 'object' || body.wire === null || typeof body.wire !== 'object')
        return new Error(messages.worker.badBody('no batch in the message'));
      const timeout =
        typeof body.timeout === 'number' && Number.isFinite(body.timeout) && body.timeout > 0
          ? body.timeout
          : null;
      const args = (await restoreBlobs((body.wire as { args?: unknown }).args, this.ctx.store)).value;
      return { wire: { ...body.wire, args }, timeout };
    } catch (error) {
      if (error instanceof BlobError) return new Error(messages.worker.badBody(error.message));
      throw error;
    }
  }
}
