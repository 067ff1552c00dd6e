/**
 * NatsBackend: the driver side of distributed parajob (DESIGN §6). Batches go to a JetStream
 * work queue that workers on any host pull from; results come back through a results stream.
 */

import { nuid } from '@nats-io/transport-node';
import {
  AutoBatching,
  BackendBase,
  type BackendContext,
  CallCancelledError,
  decodeResult,
  encodeBatch,
  explainUnsendableBatch,
  reportBatchRetried,
  type SubmitOptions,
  type TaskBatch,
  WorkerCrashedError,
} from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { ModuleNamer, wireFunctions } from '@parajob/remote';
import { BlobUploads, HEADROOM, pack, unpack, valueRef } from './codec.js';
import type { NatsConnectionOptions } from './connection.js';
import { validateConnectionOptions } from './connection.js';
import { type CoreChannel, coreChannel } from './core-channel.js';
import { DRIVER_TTL_MS } from './liveness.js';
import { messages } from './messages.js';
import { H } from './names.js';
import { ensureNeedsQueue, type Needs, needsKey, needsSubject } from './needs.js';
import { ServerOutage, untilServerBack } from './outage.js';
import type { ConsumerSettings, WorkerRecord } from './resources.js';
import { type Decoded, decodeDelivery } from './result.js';
import { type DriverSession, SessionKeeper } from './session.js';

/** A header's attempt number is a worker's word: at most this many redeliveries are counted from it. */
const MAX_REPORTED_ATTEMPTS = 100;

export interface NatsBackendOptions extends NatsConnectionOptions, ConsumerSettings {
  /** How long `nJobs: -1` waits for a live worker before failing; default 10 000 ms. */
  readonly workerWaitMs?: number;
  /** Auto-batching aims at batches lasting between these (ms); network round trips make shorter batches worth it. Default 50–500. */
  readonly minIdealBatchDurationMs?: number;
  readonly maxIdealBatchDurationMs?: number;
}

interface CallState {
  readonly session: DriverSession;
  readonly token: string;
  readonly uploads: BlobUploads;
  /** Large values of results read back, deleted with the call. */
  readonly resultBlobs: string[];
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
  /** Rejects when the call is aborted: one listener per call, however many batches wait on it. */
  readonly aborted: Promise<never>;
  /** The call's cancel (cancel subject, record, deletes), awaited by its cleanup. */
  readonly cancelled: { done?: Promise<void> };
}

/** One batch as published: its id, its body (empty when in the object store), its extra headers. */
interface Outgoing {
  readonly batchId: string;
  readonly body: Uint8Array;
  readonly extra: Record<string, string>;
}

const DEFAULT_WORKER_WAIT_MS = 10_000;
/** Times a batch answered 'abandoned' is sent again before it fails. */
const RESENDS = 2;
/** Times a batch handed back by stopping workers is sent again before it fails (a bound, not a policy). */
const HAND_BACKS = 50;

export class NatsBackend extends BackendBase {
  readonly name = 'nats';
  override readonly supportsTimeout = true;
  private readonly options: NatsBackendOptions;
  private readonly keeper: SessionKeeper;
  private readonly batching: AutoBatching;
  private readonly namer = new ModuleNamer(undefined);
  private readonly calls = new Map<string, Promise<CallState>>();
  private knownCapacity: number | undefined;
  /** Held while values stored with storeValue() exist: their names carry this session's id. */
  private valueSession: Promise<DriverSession> | undefined;
  private maxNbytes: number | null = 1024 * 1024;
  /** Batches that need resources (the client's .options({ resources, numCpus })): see needs.ts. */
  private readonly needsOf = new WeakMap<TaskBatch, Needs>();
  /** Needs keys whose consumer this session made sure of. */
  private readonly needsQueues = new Map<string, { session: DriverSession; ready: Promise<void> }>();

  constructor(options: NatsBackendOptions) {
    super();
    validateConnectionOptions(options);
    for (const key of ['workerWaitMs', 'ackWaitMs', 'maxAttempts'] as const) {
      const v = options[key];
      if (v !== undefined && !(typeof v === 'number' && v > 0))
        throw new RangeError(messages.option.positive(key, v));
    }
    this.options = options;
    this.keeper = new SessionKeeper(options);
    this.batching = new AutoBatching({
      minIdealBatchDurationMs: options.minIdealBatchDurationMs ?? 50,
      maxIdealBatchDurationMs: options.maxIdealBatchDurationMs ?? 500,
    });
  }

  /**
   * N > 0: N (batches wait in the queue until workers take them). Negative: joblib's
   * `capacity + 1 + nJobs` (-1: the whole live capacity), from the capacity last read by
   * capacity() or configure(). Synchronous, so before the capacity is known it answers 1; a
   * call is sized right anyway, because configure() reads the live capacity first.
   */
  override effectiveNJobs(nJobs: number): number {
    if (nJobs === 0) throw new RangeError(coreMessages.option.nJobsZero());
    if (nJobs > 0) return nJobs;
    return this.knownCapacity === undefined ? 1 : Math.max(this.knownCapacity + 1 + nJobs, 1);
  }

  /** Even nJobs 1 runs on a worker slot: the cluster, not the driver, runs tasks. */
  override runsInCaller(): boolean {
    return false;
  }

  /**
   * The live capacity: the sum of `--concurrency` over the workers registered now (entries of
   * the registry that are not a worker's record are ignored). Waits up to `workerWaitMs` for a
   * first worker, then fails with an error saying how to start one.
   */
  async capacity(): Promise<number> {
    const session = await this.keeper.acquire();
    try {
      this.knownCapacity = await session.capacity(this.options.workerWaitMs ?? DEFAULT_WORKER_WAIT_MS);
      return this.knownCapacity;
    } finally {
      this.keeper.release();
    }
  }

  /** N > 0: N batches at once (they wait in the queue for free slots); negative: against the live capacity. */
  override async configure(requestedNJobs: number, context: BackendContext): Promise<number> {
    if (requestedNJobs === 0) throw new RangeError(coreMessages.option.nJobsZero());
    this.maxNbytes = context.maxNbytes;
    if (requestedNJobs > 0) {
      // connect now, so a bad server or credentials fail the call up front
      await this.keeper.acquire();
      this.keeper.release();
      return requestedNJobs;
    }
    const capacity = await this.capacity();
    return Math.max(capacity + 1 + requestedNJobs, 1);
  }

  private callState(callId: string, signal: AbortSignal): Promise<CallState> {
    let state = this.calls.get(callId);
    if (state === undefined) {
      state = this.keeper.acquire().then((session) => {
        const token = session.callToken(callId);
        let onAbort!: () => void;
        const cancelled: CallState['cancelled'] = {};
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => {
            cancelled.done = session.cancelCall(token);
            reject(cancelReason(signal));
          };
        });
        aborted.catch(() => {});
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        const uploads = new BlobUploads(token);
        return { session, token, uploads, resultBlobs: [], signal, onAbort, aborted, cancelled };
      });
      this.calls.set(callId, state);
      state.catch(() => this.calls.delete(callId));
    }
    return state;
  }

  /** Call cleanups still running: terminate() waits for them before it disconnects. */
  private readonly stopping = new Set<Promise<void>>();

  stopCall(callId: string): Promise<void> {
    const done = this.cleanUp(callId).finally(() => this.stopping.delete(done));
    this.stopping.add(done);
    return done;
  }

  private async cleanUp(callId: string): Promise<void> {
    const state = await this.calls.get(callId)?.catch(() => undefined);
    this.calls.delete(callId);
    if (state === undefined) return;
    state.signal.removeEventListener('abort', state.onAbort);
    try {
      await state.cancelled.done;
      await state.session.endCall(state.token, [...state.uploads.names, ...state.resultBlobs]);
    } finally {
      this.keeper.release();
    }
  }

  async submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>> {
    try {
      return await this.submitOnce(batch, options);
    } catch (error) {
      if (!(error instanceof ServerOutage)) throw error;
      // typed, and naming the batch's first task: the server stayed away longer than the bound
      throw new WorkerCrashedError(`task ${batch.firstIndex}: ${error.message}`, {
        taskIndex: batch.firstIndex,
        exitReason: 'SERVER_UNAVAILABLE',
        cause: error,
      });
    }
  }

  private async submitOnce(
    batch: TaskBatch,
    { signal, timeout }: SubmitOptions,
  ): Promise<ArrayLike<unknown>> {
    if (signal.aborted) throw cancelReason(signal);
    const state = await this.callState(batch.callId, signal);
    const { session, token, uploads } = state;
    const encoded = encodeBatch(batch);
    const wire = { ...encoded, fns: wireFunctions(encoded.fns, this.namer) };
    const threshold = Math.min(
      this.maxNbytes ?? Number.POSITIVE_INFINITY,
      Math.floor(session.maxPayload / 4),
    );
    // Float64Array columns hold numbers only; the body as a whole goes to the object store when too big
    const args = (await Promise.all(
      wire.args.map((a) => (Array.isArray(a) ? uploads.offload(a, threshold, session.store) : a)),
    )) as typeof wire.args;
    let packed: Uint8Array;
    try {
      packed = pack({ wire: { ...wire, args }, timeout });
    } catch (error) {
      throw explainUnsendableBatch(batch, error);
    }
    // a body too big for a message goes to the object store, named after the batch (workers check)
    const message = async (batchId: string): Promise<Outgoing> => {
      if (packed.byteLength <= session.maxPayload - HEADROOM) return { batchId, body: packed, extra: {} };
      const name = `${batchId}.body`;
      await uploads.putBody(name, packed, session.store);
      return { batchId, body: new Uint8Array(0), extra: { [H.blob]: name } };
    };
    const needs = this.needsOf.get(batch);
    let subject: string | undefined;
    if (needs !== undefined) {
      const key = needsKey(needs);
      // once per key and session: the consumer lives on the server for every later batch
      let ensured = this.needsQueues.get(key);
      if (ensured?.session !== session) {
        ensured = { session, ready: ensureNeedsQueue(session.jsm, session.names, this.options, key) };
        this.needsQueues.set(key, ensured);
        ensured.ready.catch(() => this.needsQueues.delete(key));
      }
      await ensured.ready;
      subject = needsSubject(session.names, key, token);
    }
    const decoded = await this.exchange(state, `${token}.${batch.firstIndex}`, message, signal, subject);
    if (decoded.kind === 'exhausted' || decoded.kind === 'crashed') {
      const taskIndex = batch.size === 1 ? batch.firstIndex : undefined;
      throw new WorkerCrashedError(
        coreMessages.crash.worker(messages.driver.maxDeliveries(decoded.attempts), taskIndex, 'nats'),
        {
          taskIndex,
          exitReason: 'MAX_DELIVERIES',
        },
      );
    }
    if (decoded.kind === 'cancelled') throw cancelReason(signal);
    if (decoded.kind === 'abandoned')
      throw new Error(messages.driver.abandoned(session.names.drivers, DRIVER_TTL_MS));
    return decodeResult(batch, decoded.result);
  }

  /**
   * Sends a batch and decodes what comes back. A worker answers 'abandoned' when this session's
   * record had expired (the driver's event loop stalled, or the server was away, for longer than
   * the record's TTL): the record is put again and the batch sent once more under a new id (the
   * old id's result slot holds the 'abandoned' answer), so a live driver does not lose work to
   * its own silence. After RESENDS such answers the batch fails with an error saying why. A batch
   * handed back by a stopping worker is sent again the same way (up to HAND_BACKS times).
   */
  private async exchange(
    state: CallState,
    batchId: string,
    message: (batchId: string) => Promise<Outgoing>,
    signal: AbortSignal,
    subject?: string,
  ): Promise<Exclude<Decoded, { kind: 'handedBack' }>> {
    const { session, token } = state;
    let abandoned = 0;
    for (let round = 0; ; round++) {
      const out = await message(round === 0 ? batchId : `${batchId}.again${round}`);
      const sent = session.send(token, out.batchId, out.body, out.extra, signal, subject);
      const delivery = await Promise.race([sent, state.aborted]);
      // the answer says which delivery ran: the ones before it were lost with their worker
      const attempt = delivery.kind === 'message' ? Number(delivery.headers?.get(H.attempt)) : 1;
      for (let i = 1; i < attempt && i < MAX_REPORTED_ATTEMPTS; i++) reportBatchRetried('nats', 'redelivery');
      // reading a result's large values is repeatable: ride out a restart (outage.ts)
      const decoded = await untilServerBack(
        `reading the result of batch ${out.batchId}`,
        () => decodeDelivery(delivery, session.store),
        () => signal.aborted,
      );
      state.resultBlobs.push(...decoded.blobs);
      // a stopping worker gave it back: not a failure, send it again (a fresh delivery count)
      if (decoded.kind === 'handedBack') {
        if (round >= HAND_BACKS) throw new Error(messages.driver.handedBack(HAND_BACKS));
        continue;
      }
      if (decoded.kind !== 'abandoned' || abandoned++ >= RESENDS) return decoded;
      await untilServerBack('refreshing the session record', () => session.refresh());
    }
  }

  /** The session stored values belong to: it stays open while they exist (workers delete the blobs of closed sessions). */
  private valueStoreSession(): Promise<DriverSession> {
    this.valueSession ??= this.keeper.acquire().catch((error) => {
      this.valueSession = undefined;
      throw error;
    });
    return this.valueSession;
  }

  /** A fresh name for a value stored later with storeValue (the client's refs passed inside arguments). */
  async valueName(): Promise<string> {
    return `${(await this.valueStoreSession()).id}.put.${nuid.next()}`;
  }

  /** Stores a whole value in the object store (cluster.put); returns the reference tasks receive as an argument. */
  async storeValue(value: unknown, name?: string): Promise<{ name: string; ref: object }> {
    const session = await this.valueStoreSession();
    const key = name ?? `${session.id}.put.${nuid.next()}`;
    await (await session.store()).putBlob({ name: key }, pack(value));
    return { name: key, ref: valueRef(key) };
  }

  /** Core-NATS messages on this namespace's stream subjects (the client's streaming generators). */
  async coreChannel(): Promise<CoreChannel> {
    const session = await this.valueStoreSession();
    return coreChannel(session.nc, session.names.namespace);
  }

  /** A value stored with storeValue (by any client of the namespace), or `missing` while it is not there. */
  async readValue(name: string): Promise<{ readonly value: unknown } | 'missing'> {
    const session = await this.valueStoreSession();
    const bytes = await (await session.store()).getBlob(name);
    return bytes === null ? 'missing' : { value: unpack(bytes) };
  }

  /** Sends `batch` (with submit() next) only to workers declaring `needs` (needs.ts). */
  setNeeds(batch: TaskBatch, needs: Needs): void {
    this.needsOf.set(batch, needs);
  }

  /** The registered workers' records: what they declare (CPU = capacity, custom resources). */
  async workers(): Promise<WorkerRecord[]> {
    const session = await this.keeper.acquire();
    try {
      return await session.workers();
    } finally {
      this.keeper.release();
    }
  }

  /** Deletes values stored with storeValue. */
  async deleteValues(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const session = await this.keeper.acquire();
    try {
      const os = await session.store();
      await Promise.all(names.map((name) => os.delete(name).catch(() => {})));
    } finally {
      this.keeper.release();
    }
  }

  computeBatchSize(): number {
    return this.batching.computeBatchSize();
  }

  batchCompleted(batchSize: number, durationMs: number): void {
    this.batching.batchCompleted(batchSize, durationMs);
  }

  /** Cancels every call of this instance (only those: see DriverSession.cancelCall), and disconnects. */
  override async terminate(): Promise<void> {
    const states = await Promise.all([...this.calls.values()].map((s) => s.catch(() => undefined)));
    await Promise.all(states.map((s) => s?.session.cancelCall(s.token)));
    const ids = [...this.calls.keys()];
    await Promise.all(ids.map((id) => this.stopCall(id)));
    await Promise.all([...this.stopping]);
    if (this.valueSession !== undefined) {
      this.valueSession = undefined;
      this.keeper.release();
    }
    await this.keeper.close();
    this.batching.reset();
  }
}

function cancelReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CallCancelledError(coreMessages.call.cancelled());
}
