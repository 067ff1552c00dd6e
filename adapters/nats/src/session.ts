/**
 * The driver's side of the protocol, shared by NatsBackend and the Ray-like client: one
 * connection, a results consumer (an ordered consumer on this session's result subjects, which
 * replays from where it was after a reconnect, so nothing is lost), batches published with a
 * message id and an awaited publish ack, poison batches seen through the MAX_DELIVERIES advisory,
 * per-call cancel, the session's heartbeat record (liveness.ts), and the live capacity read from
 * the worker registry.
 *
 * Nothing here ever purges a stream with a subject filter: on nats-server 2.9 that moves every
 * consumer whose filter covers the subject past messages that were never delivered (the shared
 * task consumer past other drivers' batches, this session's results consumer past other calls'
 * results). Single messages are deleted by sequence number instead: a result once read, a
 * cancelled call's batches by the sequence numbers their publish acks gave.
 */
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, KvWatchInclude } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { type MsgHdrs, type NatsConnection, headers as natsHeaders, nuid } from '@nats-io/transport-node';
import { NatsConnectError, type NatsConnectionOptions, openConnection, serversText } from './connection.js';
import { SessionBeacon } from './liveness.js';
import { messages } from './messages.js';
import { H, type Names, namesFor } from './names.js';
import { isOutage, untilServerBack } from './outage.js';
import {
  type ConsumerSettings,
  DEFAULT_MAX_ATTEMPTS,
  ensureQueues,
  openBlobs,
  openRegistry,
  readCapacity,
  readWorkers,
  type WorkerRecord,
} from './resources.js';

export interface SessionOptions extends NatsConnectionOptions, ConsumerSettings {}

/** What arrives for a batch: a worker's result message, or the server's word that it exhausted its deliveries. */
export type Delivery =
  | { readonly kind: 'message'; readonly data: Uint8Array; readonly headers: MsgHdrs | undefined }
  | { readonly kind: 'exhausted'; readonly attempts: number };

interface Pending {
  readonly call: string;
  readonly resolve: (delivery: Delivery) => void;
  seq?: number;
}

/** A driver connecting while the server restarts retries this long (a wrong URL fails after it). */
const CONNECT_RETRY_MS = 5_000;

export class DriverSession {
  readonly id = nuid.next();
  readonly names: Names;
  readonly attempts: number;
  private readonly pending = new Map<string, Pending>();
  private readonly bySeq = new Map<number, string>();
  private registry: Promise<KV> | undefined;
  private blobs: Promise<ObjectStore> | undefined;
  private closed = false;

  private beacon: SessionBeacon | undefined;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: SessionOptions,
  ) {
    this.names = namesFor(options.namespace);
    this.attempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  }

  static async open(options: SessionOptions): Promise<DriverSession> {
    const nc = await connectRiding(options);
    try {
      // connected, but JetStream may still be recovering from a restart: ride it out (outage.ts)
      return await untilServerBack('opening the driver session', () => DriverSession.setUp(nc, options));
    } catch (error) {
      await nc.close().catch(() => {});
      throw error;
    }
  }

  /** Streams, record, results consumer; on failure, stops what it started (the caller may try again). */
  private static async setUp(nc: NatsConnection, options: SessionOptions): Promise<DriverSession> {
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc);
    } catch (error) {
      if (isOutage(error)) throw error;
      throw new NatsConnectError(
        'NATS_NO_JETSTREAM',
        serversText(options),
        messages.connect.noJetStream(serversText(options)),
        error,
      );
    }
    const session = new DriverSession(nc, jetstream(nc), jsm, options);
    try {
      // a driver never changes the consumer's settings once it exists: they are the cluster's
      await ensureQueues(jsm, session.names, options, 'driver');
      // the record goes first: workers drop batches of sessions without one
      session.beacon = await SessionBeacon.start(nc, session.names, session.id);
      await session.startResults();
      session.watchAdvisories();
      return session;
    } catch (error) {
      await session.beacon?.close().catch(() => {});
      throw error;
    }
  }

  /** The server's max payload (remembered: `info` is unset while reconnecting). */
  get maxPayload(): number {
    this.knownMaxPayload = this.nc.info?.max_payload ?? this.knownMaxPayload;
    return this.knownMaxPayload;
  }
  private knownMaxPayload = 1024 * 1024;

  /** A subject-safe token for a call of this session. */
  callToken(callId: string): string {
    return `${this.id}.${callId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }

  store = (): Promise<ObjectStore> => {
    this.blobs ??= openBlobs(this.nc, this.names).catch((error) => {
      this.blobs = undefined;
      throw error;
    });
    return this.blobs;
  };

  private async startResults(): Promise<void> {
    const consumer = await this.js.consumers.get(this.names.resultsStream, {
      filter_subjects: this.names.results(`${this.id}.>`),
    });
    // A small prefetch: a result body is at most max_payload, and a big prefetch of large messages gets
    // a slow consumer disconnected. Counted in messages: after a server restart the client's byte-based
    // refill was seen to stall. Quick heartbeats: a consumer lost in a restart is recreated within seconds.
    const results = await consumer.consume({ max_messages: 16, expires: 5_000, idle_heartbeat: 1_000 });
    void (async () => {
      for await (const m of results) {
        // read once, never needed again: delete just this message (no filtered purge, see above)
        void this.deleteMessage(this.names.resultsStream, m.info.streamSequence);
        const batch = m.headers?.get(H.batch);
        const p = batch ? this.pending.get(batch) : undefined;
        // a second result for a batch (a redelivered batch finished twice) is dropped here
        if (!batch || !p) continue;
        this.forget(batch, p);
        p.resolve({ kind: 'message', data: m.data, headers: m.headers });
      }
    })().catch(() => {});
  }

  private watchAdvisories(): void {
    this.nc.subscribe(this.names.maxDeliveriesAdvisory, {
      callback: (error, m) => {
        if (error) return;
        let seq: number | undefined;
        let deliveries: number | undefined;
        try {
          ({ stream_seq: seq, deliveries } = m.json() as { stream_seq?: number; deliveries?: number });
        } catch {
          return;
        }
        if (seq === undefined) return;
        const batch = this.bySeq.get(seq);
        const p = batch === undefined ? undefined : this.pending.get(batch);
        if (batch === undefined || p === undefined) return;
        this.forget(batch, p);
        // a work-queue stream keeps a message that ran out of deliveries: delete it ourselves
        void this.deleteMessage(this.names.tasksStream, seq);
        p.resolve({ kind: 'exhausted', attempts: deliveries ?? this.attempts });
      },
    });
  }

  /** Best effort, never rejects: a message left behind expires (results) or is dropped by workers (batches). */
  private async deleteMessage(stream: string, seq: number): Promise<void> {
    if (this.closed) return;
    await this.jsm.streams.deleteMessage(stream, seq, false).catch(() => {});
  }

  private forget(batch: string, p: Pending): void {
    this.pending.delete(batch);
    if (p.seq !== undefined) this.bySeq.delete(p.seq);
  }

  /**
   * Publishes one batch (deduplicated by `batchId`) and resolves with what comes back for it.
   * `published` resolves once the server has stored it.
   */
  async send(
    call: string,
    batchId: string,
    body: Uint8Array,
    extra: Record<string, string>,
    signal: AbortSignal,
    /** Where it is published: the shared work queue, or a needs subject (needs.ts). */
    subject = this.names.tasks(call),
  ): Promise<Delivery> {
    if (this.closed) throw new Error(messages.driver.closed());
    const h = natsHeaders();
    h.set(H.batch, batchId);
    h.set(H.call, call);
    h.set(H.session, this.id);
    h.set(H.reply, this.names.results(call));
    h.set(H.attempts, String(this.attempts));
    for (const [k, v] of Object.entries(extra)) h.set(k, v);
    let resolve!: (d: Delivery) => void;
    const delivered = new Promise<Delivery>((r) => (resolve = r));
    const p: Pending = { call, resolve };
    this.pending.set(batchId, p);
    try {
      // the server is restarting or we are reconnecting: the message id makes a retry safe
      const ack = await untilServerBack(
        `publishing batch ${batchId}`,
        () => this.js.publish(subject, body, { msgID: batchId, headers: h, timeout: 5_000 }),
        () => signal.aborted || this.closed,
      );
      if (ack.stream !== this.names.tasksStream) {
        // a batch with needs (needs.ts) is in the needs stream: its sequence number is not one of
        // the tasks stream's; cancelled, it is dropped by workers (the session record lists its call)
      } else if (this.pending.get(batchId) === p) {
        p.seq = ack.seq;
        this.bySeq.set(ack.seq, batchId);
      } else {
        // its call was cancelled while this publish was in flight
        void this.deleteMessage(this.names.tasksStream, ack.seq);
      }
    } catch (error) {
      this.forget(batchId, p);
      throw error;
    }
    return delivered;
  }

  /**
   * Stops a call's work and touches nothing else: workers stop its running batches (the cancel
   * subject), its queued batches are deleted one by one by sequence number, and the session's
   * record lists the call, so a worker that pulls one of them anyway (a publish still in flight,
   * a worker that missed the cancel) drops it.
   */
  async cancelCall(call: string): Promise<void> {
    const seqs: number[] = [];
    for (const [batch, p] of this.pending) {
      if (p.call !== call) continue;
      if (p.seq !== undefined) seqs.push(p.seq);
      this.forget(batch, p);
    }
    if (this.closed) return;
    this.nc.publish(this.names.cancel(call));
    await Promise.all([
      this.beacon?.cancel(call).catch(() => {}),
      ...seqs.map((seq) => this.deleteMessage(this.names.tasksStream, seq)),
    ]);
  }

  /** Puts this session's record again now (after workers found it expired). */
  async refresh(): Promise<void> {
    await this.beacon?.refresh();
  }

  /** After a call: drop its large values (its results were deleted as they were read). */
  async endCall(call: string, blobNames: readonly string[]): Promise<void> {
    for (const [batch, p] of this.pending) if (p.call === call) this.forget(batch, p);
    if (this.closed) return;
    if (blobNames.length > 0) {
      const os = await this.store().catch(() => undefined);
      await Promise.all(blobNames.map((name) => os?.delete(name).catch(() => {})));
    }
  }

  /** The registered workers' records (what resources are matched against). */
  async workers(): Promise<WorkerRecord[]> {
    this.registry ??= openRegistry(this.nc, this.names);
    return readWorkers(await this.registry);
  }

  /** Live capacity; when none, waits up to `waitMs` for a worker to register, then fails with a clear error. */
  async capacity(waitMs: number): Promise<number> {
    this.registry ??= openRegistry(this.nc, this.names);
    const kv = await this.registry;
    const deadline = Date.now() + waitMs;
    const foreign = new Set<string>();
    for (;;) {
      const total = await readCapacity(kv, (key) => foreign.add(key));
      if (total > 0) return total;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          messages.driver.noWorkers(serversText(this.options), waitMs, this.names.namespace, [...foreign]),
        );
      // wake up on the next registration (or the deadline), not on a polling timer
      // only new puts: the entries already there were just read (a foreign one must not wake us in a loop)
      const watcher = await kv.watch({ key: 'w.>', include: KvWatchInclude.UpdatesOnly });
      const timer = setTimeout(() => watcher.stop(), left);
      for await (const entry of watcher) {
        if (entry.operation === 'PUT') break;
      }
      clearTimeout(timer);
      watcher.stop();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.bySeq.clear();
    await this.beacon?.close();
    await this.nc.close().catch(() => {});
  }
}

/** Connects, retrying for CONNECT_RETRY_MS while the server does not answer (restarting): not on refusals. */
async function connectRiding(options: SessionOptions): Promise<NatsConnection> {
  const deadline = Date.now() + CONNECT_RETRY_MS;
  for (;;) {
    try {
      return await openConnection(options, 'parajob-driver');
    } catch (error) {
      const cause = (error as Error).cause;
      if (Date.now() > deadline || !(isOutage(cause) || /refused|ECONNREFUSED/i.test(String(cause))))
        throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** One lazily opened session for a backend or client, closed after it has been idle a moment. */
export class SessionKeeper {
  private session: Promise<DriverSession> | undefined;
  private users = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: SessionOptions,
    private readonly idleMs = 1_000,
  ) {}

  async acquire(): Promise<DriverSession> {
    this.users++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.session ??= DriverSession.open(this.options).catch((error) => {
      this.session = undefined;
      throw error;
    });
    try {
      return await this.session;
    } catch (error) {
      this.users--;
      throw error;
    }
  }

  release(): void {
    if (--this.users > 0) return;
    // the connection is what would keep a finished script alive: close it once idle
    this.timer = setTimeout(() => void this.close(), this.idleMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.session;
    this.session = undefined;
    const session = await s?.catch(() => undefined);
    await session?.close();
  }
}
