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
  type SubmitOptions,
  type TaskBatch,
  WorkerCrashedError,
} from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { BlobUploads, HEADROOM, pack, valueRef } from './codec.js';
import type { NatsConnectionOptions } from './connection.js';
import { validateConnectionOptions } from './connection.js';
import { messages } from './messages.js';
import { remoteFunctions } from './module-ref.js';
import { H } from './names.js';
import type { ConsumerSettings } from './resources.js';
import { decodeDelivery } from './result.js';
import { type DriverSession, SessionKeeper } from './session.js';

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
}

const DEFAULT_WORKER_WAIT_MS = 10_000;

export class NatsBackend extends BackendBase {
  readonly name = 'nats';
  override readonly supportsTimeout = true;
  private readonly options: NatsBackendOptions;
  private readonly keeper: SessionKeeper;
  private readonly batching: AutoBatching;
  private readonly moduleRefs = new Map<string, string>();
  private readonly calls = new Map<string, Promise<CallState>>();
  private capacity: number | undefined;
  private maxNbytes: number | null = 1024 * 1024;

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

  /** -1: the live cluster's capacity (last read by configure() or refreshCapacity()); N > 0: N (batches wait in the queue). */
  override effectiveNJobs(nJobs: number): number {
    if (nJobs === 0) throw new RangeError(coreMessages.option.nJobsZero());
    if (nJobs > 0) return nJobs;
    return this.capacity === undefined ? 1 : Math.max(this.capacity + 1 + nJobs, 1);
  }

  /** Even nJobs 1 runs on a worker: the cluster, not the driver, runs tasks. */
  override runsInCaller(): boolean {
    return false;
  }

  /** Reads the live capacity now (sum of registered workers' --concurrency), for effectiveNJobs. */
  async refreshCapacity(): Promise<number> {
    const session = await this.keeper.acquire();
    try {
      this.capacity = await session.capacity(this.options.workerWaitMs ?? DEFAULT_WORKER_WAIT_MS);
      return this.capacity;
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
    const capacity = await this.refreshCapacity();
    return Math.max(capacity + 1 + requestedNJobs, 1);
  }

  private callState(callId: string, signal: AbortSignal): Promise<CallState> {
    let state = this.calls.get(callId);
    if (state === undefined) {
      state = this.keeper.acquire().then((session) => {
        const token = session.callToken(callId);
        const onAbort = () => void session.cancelCall(token);
        signal.addEventListener('abort', onAbort, { once: true });
        return { session, token, uploads: new BlobUploads(token), resultBlobs: [], signal, onAbort };
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
      await state.session.endCall(state.token, [...state.uploads.names, ...state.resultBlobs]);
    } finally {
      this.keeper.release();
    }
  }

  async submit(batch: TaskBatch, { signal, timeout }: SubmitOptions): Promise<ArrayLike<unknown>> {
    if (signal.aborted) throw cancelReason(signal);
    const state = await this.callState(batch.callId, signal);
    const { session, token, uploads } = state;
    const encoded = encodeBatch(batch);
    const wire = { ...encoded, fns: remoteFunctions(encoded.fns, this.moduleRefs) };
    const threshold = Math.min(
      this.maxNbytes ?? Number.POSITIVE_INFINITY,
      Math.floor(session.maxPayload / 4),
    );
    // Float64Array columns hold numbers only; the body as a whole goes to the object store when too big
    const args = (await Promise.all(
      wire.args.map((a) => (Array.isArray(a) ? uploads.offload(a, threshold, session.store) : a)),
    )) as typeof wire.args;
    let body: Uint8Array;
    try {
      body = pack({ wire: { ...wire, args }, timeout });
    } catch (error) {
      throw explainUnsendableBatch(batch, error);
    }
    const batchId = `${token}.${batch.firstIndex}`;
    const extra: Record<string, string> = {};
    if (body.byteLength > session.maxPayload - HEADROOM) {
      const name = `${batchId}.body`;
      await uploads.putBody(name, body, session.store);
      extra[H.blob] = name;
      body = new Uint8Array(0);
    }
    const delivery = await abortable(session.send(token, batchId, body, extra, signal), signal);
    const decoded = await decodeDelivery(delivery, session.store);
    state.resultBlobs.push(...decoded.blobs);
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
    return decodeResult(batch, decoded.result);
  }

  /** Stores a whole value in the object store (cluster.put); returns the reference tasks receive as an argument. */
  async storeValue(value: unknown): Promise<{ name: string; ref: object }> {
    const session = await this.keeper.acquire();
    try {
      const name = `put.${session.id}.${nuid.next()}`;
      await (await session.store()).putBlob({ name }, pack(value));
      return { name, ref: valueRef(name) };
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

  /** Cancels every call of this instance on the workers, purges their queued batches, and disconnects. */
  override async terminate(): Promise<void> {
    const states = await Promise.all([...this.calls.values()].map((s) => s.catch(() => undefined)));
    await Promise.all(states.map((s) => s?.session.cancelCall(s.token)));
    const ids = [...this.calls.keys()];
    await Promise.all(ids.map((id) => this.stopCall(id)));
    await Promise.all([...this.stopping]);
    await this.keeper.close();
    this.batching.reset();
  }
}

function cancelReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CallCancelledError(coreMessages.call.cancelled());
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
