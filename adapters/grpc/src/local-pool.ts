/**
 * Worker side: runs a WireBatch received from a driver in this host's worker-threads pool, and
 * answers in the wire format. The module policy is applied here, in the server's main thread,
 * before anything is imported (core's relayBatch with this worker's resolveModule/allowSource):
 * a refused module never loads. The pool's threads then run the tasks with per-task timeouts and
 * per-call aborts.
 */
import {
  type BackendContext,
  type ParallelBackend,
  type SerializedError,
  serializeError,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';
import { relayBatch } from '@parajob/core/internal';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import type { ModulePolicy } from './allow.js';

export interface RunOutcome {
  /** The batch ran: its answer (task errors included). */
  readonly result?: WireResult;
  /** A failure not tied to one task of the batch (lost thread between tasks, cancelled call). */
  readonly failure?: SerializedError;
}

const context = (verbose: number): BackendContext => ({
  maxNbytes: null,
  tempFolder: null,
  innerMaxNumThreads: null,
  verbose,
  log: () => {},
});

export class LocalPool {
  private readonly backend: ParallelBackend;
  private configured: Promise<number> | undefined;

  constructor(
    readonly concurrency: number,
    private readonly policy: ModulePolicy,
  ) {
    this.backend = new WorkerThreadsBackend({});
  }

  start(): Promise<number> {
    this.configured ??= this.backend.configure(this.concurrency, context(0));
    return this.configured;
  }

  /** Never throws: every outcome is an answer for the driver. */
  async run(wire: WireBatch, options: { signal: AbortSignal; timeout: number | null }): Promise<RunOutcome> {
    await this.start();
    try {
      const result = await relayBatch(this.backend, wire, options, {
        resolveModule: this.policy.resolveModule,
        allowSource: this.policy.checkSource,
      });
      return { result };
    } catch (error) {
      return { failure: serializeError(error) };
    }
  }

  async close(): Promise<void> {
    await this.backend.terminate();
  }
}
