/**
 * Worker side: runs a batch received from a driver on this host's worker-threads pool and
 * answers in the wire format. The batch is checked (shape) and its module names resolved by the
 * policy on the main thread — resolution only, nothing is imported there — then the wire batch
 * goes to the pool as received: no re-encoding, task modules imported only in the pool's threads,
 * where only functions registered with task() are called. Values that completed before a failure
 * are part of the answer.
 */
import {
  type BackendContext,
  serializeError,
  type WireBatch,
  type WireFunction,
  type WireResult,
} from '@parajob/core/backend';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import { checkWorkerLimits, type WorkerLimits } from './limits.js';
import type { WorkerPolicy } from './policy.js';
import { checkWire } from './wire-check.js';

export interface RunOptions {
  readonly signal: AbortSignal;
  /** Per-task timeout in ms, counted from each task's start; null for none. */
  readonly timeout: number | null;
  /** Which delivery of the batch this is (1 the first; more: redelivered), when the transport knows. */
  readonly attempt?: number;
  /** When the batch was queued (Date.now() milliseconds, the queue's clock), when the transport knows. */
  readonly queuedAt?: number;
}

const CONTEXT: BackendContext = {
  maxNbytes: null,
  tempFolder: null,
  innerMaxNumThreads: null,
  verbose: 0,
  log: () => {},
};

/** The answer for a batch that failed before any task ran (refused module, unreadable batch). */
export function failedBatch(error: unknown): WireResult {
  return { values: [], error: { pos: 0, error: serializeError(error) } };
}

/** What a worker knows about a batch's way to it (redeliveries, time in the queue). */
export interface BatchArrival {
  readonly attempt?: number;
  readonly queuedAt?: number;
}

/** Sees every batch a worker runs (`--metrics`): `started` at its start, what it returns at its end. */
export interface BatchWatcher {
  started(wire: WireBatch, arrival: BatchArrival): (result: WireResult) => void;
}

let watcher: BatchWatcher | undefined;

/** Installs (or removes) the process's batch watcher. */
export function watchBatches(next: BatchWatcher | undefined): void {
  watcher = next;
}

export class RemoteExecutor {
  private readonly pool: WorkerThreadsBackend;
  private configured: Promise<number> | undefined;

  /**
   * `limits`: when the pool's threads are replaced (the local backends' option names); default
   * none. `batchesPerThread`: batches a thread runs at once (more than 1 for a worker that lends
   * the slot of a task waiting in get() to another batch: @parajob/nats's nested tasks).
   */
  constructor(
    readonly concurrency: number,
    private readonly policy: WorkerPolicy,
    limits: WorkerLimits = {},
    batchesPerThread = 1,
  ) {
    this.pool = new WorkerThreadsBackend({ ...checkWorkerLimits(limits), batchesPerThread });
  }

  /** Starts the pool's threads (also done by the first run). */
  start(): Promise<number> {
    this.configured ??= this.pool.configure(this.concurrency, CONTEXT);
    return this.configured;
  }

  /** Runs one decoded batch. Never throws: every outcome, a refusal included, is an answer. */
  async run(payload: unknown, options: RunOptions): Promise<WireResult> {
    const wire = checkWire(payload);
    if (wire instanceof Error) return failedBatch(wire);
    let resolved: WireBatch;
    try {
      resolved = { ...wire, fns: wire.fns.map((fn) => this.resolve(fn)) };
    } catch (error) {
      return failedBatch(error);
    }
    await this.start();
    const ended = watcher?.started(resolved, { attempt: options.attempt, queuedAt: options.queuedAt });
    const result = await this.pool.runWire(resolved, options, { allowSource: this.policy.allowSource });
    ended?.(result);
    return result;
  }

  private resolve(fn: WireFunction): WireFunction {
    if (fn.source !== undefined) {
      this.policy.checkSource(fn.name);
      return { name: fn.name, source: fn.source };
    }
    return { name: fn.name, module: this.policy.resolve(fn.module) };
  }

  async close(): Promise<void> {
    await this.pool.terminate();
  }
}
