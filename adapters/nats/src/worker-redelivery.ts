/**
 * Worker side: which deliveries of a batch are attempts. JetStream's delivery count is not: a
 * batch running on a live worker is delivered again when that worker's heartbeats (`working()`)
 * did not reach the server within the ack wait, which is what a nats-server kill -9 and restart
 * does (the worker reconnects a moment after the restarted server has checked its batches). Only
 * a delivery whose worker vanished with it (killed, crashed, cut off) is an attempt.
 *
 * The first delivery is attempt 1 and costs nothing here. A later one is judged by asking
 * whether a live worker still runs the batch (`holder.ask.<batch>`, answered on
 * `holder.held.<batch>` by the worker that runs it), for up to HOLDER_WAIT_MS, so that a worker
 * still reconnecting after the restart can answer:
 * - answered: not an attempt. The delivery is parked (a nak delayed by the ack wait: the running
 *   worker's heartbeats keep postponing it, its ack removes the batch, and if it dies the batch
 *   comes back once its heartbeats stop), and the skip is counted in the KV bucket
 *   `parajob_<ns>_attempts` under `b.<batch>`.
 * - unanswered: the worker that had it is gone, an attempt: attempt = delivery count − skips.
 *
 * Whatever fails here (no permission for the holder subjects or the bucket, the server away)
 * falls back to counting the delivery as an attempt, as JetStream does.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { StorageType } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Names } from './names.js';

/** How long a worker given a batch again waits for the worker running it to answer. */
export const HOLDER_WAIT_MS = 2_500;
/** The question is asked again this often within the wait (a worker reconnecting missed the last one). */
const ASK_EVERY_MS = 250;
/** Skip records outlive any batch that keeps being parked: a day after the last skip. */
const SKIP_RECORD_TTL_MS = 24 * 60 * 60_000;

export type Judgement =
  /** `recorded`: the batch has a skip record (deleted when its run ends). */
  | { readonly kind: 'attempt'; readonly attempt: number; readonly recorded: boolean }
  /** A live worker runs this batch: this delivery is not an attempt and must not run. */
  | { readonly kind: 'park' };

/** What this worker runs now, by batch id: the holders' side of the question. */
interface Held {
  /** Another worker asked about it, so a skip record may exist: deleted when the run ends. */
  recorded: boolean;
}

const keyOf = (batch: string) => `b.${batch}`;

/** A first delivery: attempt 1, no record, no question asked (the common case costs nothing). */
export const FIRST: Judgement = { kind: 'attempt', attempt: 1, recorded: false };

export class Redeliveries {
  private readonly held = new Map<string, Held>();
  private subscription: Subscription | undefined;
  private bucket: Promise<KV> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: Names,
    /** How long to wait for the worker running a batch to answer (tests shorten it). */
    private readonly holderWaitMs = HOLDER_WAIT_MS,
  ) {}

  /** Answers other workers' questions about the batches this worker runs. */
  watch(): void {
    const prefix = this.names.holderAsk('');
    this.subscription = this.nc.subscribe(this.names.allHolderAsks, {
      callback: (error, m) => {
        if (error) return;
        const batch = m.subject.slice(prefix.length);
        const held = this.held.get(batch);
        if (held === undefined) return;
        held.recorded = true;
        try {
          this.nc.publish(this.names.holderAnswer(batch));
        } catch {
          // closing: the asker counts the delivery, as it would for a worker that is gone
        }
      },
    });
  }

  /** The batch runs here until `release()`; a skip record it may have is deleted then. */
  hold(batch: string, recorded: boolean): { release: () => void } {
    const entry: Held = { recorded };
    this.held.set(batch, entry);
    return {
      release: () => {
        if (this.held.get(batch) === entry) this.held.delete(batch);
        if (entry.recorded) void this.forget(batch);
      },
    };
  }

  /** Which attempt a delivery is, or that it must be parked. Never rejects. */
  async judge(m: JsMsg, batch: string): Promise<Judgement> {
    const delivery = m.info.deliveryCount;
    if (delivery <= 1) return FIRST;
    if (await this.runningElsewhere(batch)) {
      await this.record(batch, (await this.skips(batch)) + 1);
      return { kind: 'park' };
    }
    const skipped = await this.skips(batch);
    return { kind: 'attempt', attempt: Math.max(1, delivery - skipped), recorded: skipped > 0 };
  }

  /** Best effort: a record left behind expires after SKIP_RECORD_TTL_MS. */
  async forget(batch: string): Promise<void> {
    try {
      await (await this.kv()).delete(keyOf(batch));
    } catch {
      // expires
    }
  }

  close(): void {
    this.subscription?.unsubscribe();
  }

  /** Whether a live worker (this one included) answers that it runs `batch`, within the holder wait. */
  private async runningElsewhere(batch: string): Promise<boolean> {
    // this worker's own earlier delivery of it still runs (its heartbeats were late too)
    if (this.held.has(batch)) return true;
    let answers: Subscription;
    try {
      answers = this.nc.subscribe(this.names.holderAnswer(batch), { max: 1 });
    } catch {
      return false;
    }
    const answered = (async () => {
      for await (const _answer of answers) return true;
      return false;
    })().catch(() => false);
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = Date.now() + this.holderWaitMs;
      while (Date.now() < deadline) {
        this.nc.publish(this.names.holderAsk(batch));
        const wait = Math.min(ASK_EVERY_MS, deadline - Date.now());
        const tick = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), wait);
        });
        const outcome = await Promise.race([answered, tick]);
        clearTimeout(timer);
        if (outcome !== undefined) return outcome;
      }
      return false;
    } catch {
      // the connection closed: nobody can be asked
      return false;
    } finally {
      clearTimeout(timer);
      answers.unsubscribe();
    }
  }

  /** Skips recorded for `batch`: 0 when none, or when the record cannot be read. */
  private async skips(batch: string): Promise<number> {
    try {
      const entry = await (await this.kv()).get(keyOf(batch));
      if (entry === null || entry.operation !== 'PUT') return 0;
      const skipped = (entry.json() as { skipped?: unknown }).skipped;
      return Number.isSafeInteger(skipped) && (skipped as number) > 0 ? (skipped as number) : 0;
    } catch {
      return 0;
    }
  }

  private async record(batch: string, skipped: number): Promise<void> {
    try {
      await (await this.kv()).put(keyOf(batch), JSON.stringify({ skipped }));
    } catch {
      // unrecorded: if the running worker then dies, the next delivery counts one attempt too many
    }
  }

  private kv(): Promise<KV> {
    this.bucket ??= new Kvm(this.nc)
      .create(this.names.attempts, { ttl: SKIP_RECORD_TTL_MS, history: 1, storage: StorageType.File })
      .catch((error) => {
        this.bucket = undefined;
        throw error;
      });
    return this.bucket;
  }
}
