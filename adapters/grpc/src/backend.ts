/**
 * GrpcBackend: the driver. Capacity is the sum of the workers' slots (Hello at configure());
 * batches wait in a local queue and go to a worker only against credit, one credit per free
 * slot; results come back by batch id. A lost worker fails its batches with
 * WorkerCrashedError, or sends them to another worker when `retries` allows.
 */
import v8 from 'node:v8';
import type * as grpc from '@grpc/grpc-js';
import {
  BackendBase,
  type BackendContext,
  CallCancelledError,
  decodeResult,
  deserializeError,
  encodeBatch,
  explainUnsendableBatch,
  reportBatchRetried,
  type SerializedError,
  type SubmitOptions,
  type TaskBatch,
  type WireBatch,
  type WireResult,
  WorkerCrashedError,
} from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { ModuleNamer, wireFunctions } from '@parajob/remote';
import { type LinkEvents, WorkerLink } from './link.js';
import { messages } from './messages.js';
import { type GrpcBackendOptions, type ResolvedGrpcOptions, resolveGrpcOptions } from './options.js';
import type { ResultMessage } from './proto.js';
import { clientCredentials } from './tls.js';

interface Pending {
  readonly batch: TaskBatch;
  readonly payload: Buffer;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly resolve: (values: ArrayLike<unknown>) => void;
  readonly reject: (error: unknown) => void;
  attempts: number;
  settled: boolean;
  link?: WorkerLink;
  id?: number;
  onAbort?: () => void;
}

export class GrpcBackend extends BackendBase implements LinkEvents {
  readonly name = 'grpc';
  /** Each worker enforces the per-task timeout sent with the batch, in its worker-threads pool. */
  override readonly supportsTimeout = true;

  private readonly options: ResolvedGrpcOptions;
  private readonly namer: ModuleNamer;
  private links: WorkerLink[] = [];
  private connecting: Promise<number> | undefined;
  private readonly queue: Pending[] = [];
  private inflightCount = 0;
  /** Batches this instance keeps at workers at once (nJobs), set by configure(). */
  private limit = Number.POSITIVE_INFINITY;
  /** The workers' total slots when this instance last reached them, so effectiveNJobs() (synchronous) can answer. */
  private knownCapacity: number | undefined;
  private log: (message: string) => void = () => {};

  constructor(options: GrpcBackendOptions) {
    super();
    this.options = resolveGrpcOptions(options);
    this.namer = new ModuleNamer(this.options.root);
  }

  /**
   * -1: every slot of every worker; N: N batches at once. Synchronous, so it answers from the
   * capacity this instance last saw: before configure() or capacity() reached the workers it
   * answers 1 for negative nJobs (and nJobs itself for positive ones); configure() then sizes the
   * call from the workers' Hello. Read the live value with `await capacity()`.
   */
  override effectiveNJobs(nJobs: number): number {
    if (nJobs === 0) throw new RangeError(messages.option.nJobsZero());
    return slotsFor(nJobs, this.knownCapacity);
  }

  /** Even nJobs 1 runs on a worker: the worker servers, not the driver, run tasks. */
  override runsInCaller(): boolean {
    return false;
  }

  /**
   * The live capacity: the slots of every worker reachable now. The first read says Hello to
   * every worker; later reads say Hello again to workers that were lost, so a restarted worker
   * counts again. Rejects when no worker is reachable.
   */
  async capacity(): Promise<number> {
    await this.connected();
    const down = this.links.filter((link) => link.state === 'down');
    if (down.length > 0) {
      await Promise.allSettled(down.map((link) => link.connect()));
      this.pump();
    }
    const capacity = this.links.reduce((sum, link) => sum + link.capacity, 0);
    this.knownCapacity = capacity;
    if (capacity === 0)
      throw new Error(
        messages.connect.allUnreachable(this.links.map((l) => `${l.address}: ${l.downReason}`)),
      );
    return capacity;
  }

  private connected(): Promise<number> {
    this.connecting ??= this.connectAll().catch((error) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** Reaches every worker, then: -1 every slot, -2 all but one, N at most N (never more than the slots). */
  override async configure(requestedNJobs: number, context: BackendContext): Promise<number> {
    if (requestedNJobs === 0) throw new RangeError(messages.option.nJobsZero());
    this.log = (m) => context.log(m);
    const slots = slotsFor(requestedNJobs, await this.connected());
    this.limit = slots;
    return slots;
  }

  private async connectAll(): Promise<number> {
    if (this.links.length === 0) {
      const { credentials, options } = clientCredentials(this.options.tls);
      const channelOptions: grpc.ChannelOptions = {
        ...options,
        'grpc.keepalive_time_ms': this.options.keepaliveMs,
        'grpc.keepalive_timeout_ms': 10_000,
      };
      const settings = {
        credentials,
        channelOptions,
        connectTimeoutMs: this.options.connectTimeoutMs,
        maxMessageBytes: this.options.maxMessageBytes,
      };
      this.links = this.options.workers.map((address) => new WorkerLink(address, settings, this));
    }
    const outcomes = await Promise.allSettled(this.links.map((link) => link.connect()));
    const failures: string[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected')
        failures.push(`${this.links[i]!.address}: ${(outcome.reason as Error).message}`);
    });
    const capacity = this.links.reduce((sum, link) => sum + link.capacity, 0);
    if (capacity === 0) throw new Error(messages.connect.allUnreachable(failures));
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status !== 'rejected') continue;
      const message = messages.connect.unreachable(this.links[i]!.address, (outcome.reason as Error).message);
      this.log(message);
      process.emitWarning(message, { code: 'PARAJOB_GRPC_UNREACHABLE' });
    }
    this.knownCapacity = capacity;
    return capacity;
  }

  startCall(): void {
    // workers lost earlier get another chance: a restarted worker rejoins at the next call
    for (const link of this.links) {
      if (link.state === 'down')
        void link.connect().then(
          () => this.pump(),
          () => {},
        );
    }
  }

  submit(batch: TaskBatch, { signal, timeout }: SubmitOptions): Promise<ArrayLike<unknown>> {
    let payload: Buffer;
    try {
      const wire = this.toWire(encodeBatch(batch));
      try {
        payload = v8.serialize(wire);
      } catch (error) {
        throw explainUnsendableBatch(batch, error);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal.aborted)
      return Promise.reject(signal.reason ?? new CallCancelledError(coreMessages.call.cancelled()));
    return new Promise<ArrayLike<unknown>>((resolve, reject) => {
      const pending: Pending = {
        batch,
        payload,
        timeoutMs: timeout ?? 0,
        signal,
        resolve,
        reject,
        attempts: 0,
        settled: false,
      };
      pending.onAbort = () =>
        this.abortPending(pending, signal.reason ?? new CallCancelledError(coreMessages.call.cancelled()));
      signal.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Module references become names the worker resolves under its own root (@parajob/remote). */
  private toWire(wire: WireBatch): WireBatch {
    if (!wire.fns.some((f) => f.module !== undefined)) return wire;
    return { ...wire, fns: wireFunctions(wire.fns, this.namer) };
  }

  /** Sends queued batches while some live worker holds credit. */
  private pump(): void {
    while (this.queue.length > 0) {
      const live = this.links.filter((l) => l.state === 'live');
      if (live.length === 0) {
        const lost = this.links.map((l) => `${l.address}: ${l.downReason}`);
        for (const p of this.queue.splice(0))
          this.fail(p, this.crashError(p, messages.connect.noneLeft(lost)));
        return;
      }
      const pending = this.queue[0]!;
      const largest = Math.max(...live.map((l) => l.maxPayloadBytes));
      if (pending.payload.length > largest) {
        this.queue.shift();
        const b = pending.batch;
        const link = live.find((l) => l.maxPayloadBytes === largest)!;
        this.fail(
          pending,
          new RangeError(
            messages.size.batchTooLarge(
              b.firstIndex,
              b.firstIndex + b.size - 1,
              pending.payload.length,
              largest,
              link.address,
            ),
          ),
        );
        continue;
      }
      if (this.inflightCount >= this.limit) return;
      for (const l of live) l.ensureSession();
      let best: WorkerLink | undefined;
      for (const l of live)
        if (
          l.credits > 0 &&
          pending.payload.length <= l.maxPayloadBytes &&
          (!best || l.credits > best.credits)
        )
          best = l;
      if (!best) return;
      this.queue.shift();
      pending.link = best;
      pending.id = best.send(pending.payload, pending.timeoutMs, pending);
      this.inflightCount++;
    }
    for (const l of this.links) if (l.inflight.size === 0) l.scheduleIdleClose();
  }

  onCredit(): void {
    this.pump();
  }

  onResult(link: WorkerLink, result: ResultMessage): void {
    const id = Number(result.id);
    const pending = link.inflight.get(id) as Pending | undefined;
    if (!pending) {
      // an answer to nothing we sent: the worker is broken; its batches go elsewhere or fail, never hang
      const reason = messages.connect.wrongId(link.address, id);
      this.log(reason);
      link.abandon(reason);
      this.onLost(link, reason, undefined);
      return;
    }
    link.inflight.delete(id);
    this.inflightCount--;
    if (!pending.settled) {
      if (result.cancelled) this.fail(pending, new CallCancelledError(coreMessages.call.cancelled()));
      else if (result.failure && result.failure.length > 0)
        this.fail(pending, this.failureOf(link, result.failure));
      else {
        try {
          const wire = checkResult(v8.deserialize(result.payload ?? Buffer.alloc(0)), pending.batch.size);
          if (typeof wire === 'string') throw new Error(messages.connect.badResult(link.address, wire));
          const values = decodeResult(pending.batch, wire);
          this.settle(pending);
          pending.resolve(values);
        } catch (error) {
          this.fail(pending, error);
        }
      }
    }
    this.pump();
  }

  private failureOf(link: WorkerLink, bytes: Buffer): unknown {
    try {
      return deserializeError(v8.deserialize(bytes) as SerializedError);
    } catch (error) {
      return new Error(messages.connect.badResult(link.address, (error as Error).message));
    }
  }

  onLost(link: WorkerLink, reason: string, code: grpc.status | undefined): void {
    const lost = [...link.inflight.values()] as Pending[];
    // RESOURCE_EXHAUSTED on a session carrying batches: a message over the worker's limit, not a
    // dead worker. On a session with none (refused as it opened) the worker is unusable: reopening
    // it at once would loop forever
    const tooLarge = code === 8 && lost.length > 0;
    if (!tooLarge) link.markDown(reason);
    link.inflight.clear();
    this.inflightCount -= lost.length;
    const requeue: Pending[] = [];
    for (const p of lost) {
      if (p.settled) continue;
      if (tooLarge) this.fail(p, new RangeError(messages.size.rejectedByPeer(link.address, reason)));
      else if (p.attempts < this.options.retries) {
        p.attempts++;
        reportBatchRetried('grpc', 'lost-worker');
        p.link = undefined;
        p.id = undefined;
        requeue.push(p);
      } else this.fail(p, this.crashError(p, messages.connect.lost(link.address, reason)));
    }
    if (requeue.length > 0) {
      const why = messages.connect.lost(link.address, reason);
      this.log(`${why}; running its ${requeue.length} batch(es) on the other workers`);
      this.queue.unshift(...requeue);
    }
    this.pump();
  }

  onIdle(): void {
    this.pump();
  }

  private crashError(p: Pending, reason: string): WorkerCrashedError {
    const b = p.batch;
    const index = b.firstIndex;
    const range = b.size > 1 ? ` (its batch held tasks ${index}..${index + b.size - 1})` : '';
    return new WorkerCrashedError(coreMessages.crash.worker(`${reason}${range}`, index, this.name), {
      taskIndex: index,
      exitReason: 'CONNECTION_LOST',
    });
  }

  private abortPending(pending: Pending, reason: unknown): void {
    if (pending.settled) return;
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) this.queue.splice(queued, 1);
    else if (pending.link && pending.id !== undefined) pending.link.cancel([pending.id]);
    this.fail(pending, reason);
  }

  private settle(pending: Pending): void {
    pending.settled = true;
    if (pending.onAbort) pending.signal.removeEventListener('abort', pending.onAbort);
  }

  private fail(pending: Pending, error: unknown): void {
    if (pending.settled) return;
    this.settle(pending);
    pending.reject(error);
  }

  /** Fails what this instance still has queued or running, cancels it on the workers, and closes the links. */
  override async terminate(): Promise<void> {
    const reason = new CallCancelledError(coreMessages.call.cancelled());
    for (const p of this.queue.splice(0)) this.fail(p, reason);
    for (const link of this.links) {
      const pending = [...link.inflight.values()] as Pending[];
      link.cancel(pending.map((p) => p.id!));
      for (const p of pending) this.fail(p, reason);
    }
    this.close();
  }

  private close(): void {
    for (const link of this.links) link.close();
    this.links = [];
    this.connecting = undefined;
    this.inflightCount = 0;
  }
}

/** joblib's rule against the workers' slots: -1 all, -2 all but one, N at most N; unknown capacity: N, or 1. */
function slotsFor(nJobs: number, capacity: number | undefined): number {
  if (nJobs > 0) return capacity === undefined ? nJobs : Math.min(nJobs, capacity);
  return capacity === undefined ? 1 : Math.max(capacity + 1 + nJobs, 1);
}

/** The answer as a WireResult for a batch of `size` tasks, or why it is not one (a short or malformed result). */
function checkResult(value: unknown, size: number): WireResult | string {
  const r = value as WireResult | null;
  if (r === null || typeof r !== 'object') return 'not a result';
  const values = r.values as unknown;
  if (!Array.isArray(values) && !(values instanceof Float64Array)) return 'no values';
  if (r.error !== undefined) {
    const pos = r.error?.pos;
    if (!Number.isSafeInteger(pos) || pos < 0 || pos >= size)
      return `failure at position ${String(pos)} of ${size}`;
    return values.length <= pos ? r : `${values.length} values before a failure at position ${pos}`;
  }
  if (values.length !== size) return `${values.length} values for ${size} tasks`;
  return r;
}
