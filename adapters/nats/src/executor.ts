/**
 * Runs the batches a worker pulled in a local worker-threads pool. Security checks and module
 * resolution happen here, in the worker's main thread, before anything runs: the wire's module
 * references are resolved against --root and --allow, the task functions looked up, source
 * functions refused without --allow-source; the batch then goes to the pool as an ordinary
 * TaskBatch (whose threads import the resolved files themselves).
 */
import {
  type ParallelBackend,
  serializeError,
  type WireBatch,
  type WireFunction,
  type WireResult,
} from '@parajob/core/backend';
import { relayBatch } from '@parajob/core/internal';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import { messages } from './messages.js';
import { type ModulePolicy, moduleResolver } from './module-ref.js';

export interface ExecutorOptions extends ModulePolicy {
  readonly concurrency: number;
  readonly allowSource: boolean;
}

export interface RunOptions {
  readonly signal: AbortSignal;
  readonly timeout: number | null;
}

const CONTEXT = { maxNbytes: null, tempFolder: null, innerMaxNumThreads: null, verbose: 0, log: () => {} };

export class LocalExecutor {
  private readonly pool: ParallelBackend = new WorkerThreadsBackend();
  private readonly resolveModule: (fn: WireFunction) => string;
  private readonly allowSource: (fn: WireFunction) => void;
  private configured: Promise<number> | undefined;

  constructor(private readonly options: ExecutorOptions) {
    this.resolveModule = moduleResolver(options);
    this.allowSource = (fn) => {
      if (!options.allowSource) throw new Error(messages.worker.sourceRefused(fn.name));
    };
  }

  /** Runs one batch; never throws for a task's failure (it is part of the result). */
  async run(wire: WireBatch, { signal, timeout }: RunOptions): Promise<WireResult> {
    this.configured ??= this.pool.configure(this.options.concurrency, CONTEXT);
    await this.configured;
    try {
      return await relayBatch(
        this.pool,
        wire,
        { signal, timeout },
        {
          resolveModule: this.resolveModule,
          allowSource: this.allowSource,
        },
      );
    } catch (error) {
      // not any one task's failure (a cancelled call, a lost thread between tasks): report it on the first task
      return { values: [], error: { pos: 0, error: serializeError(error) } };
    }
  }

  async close(): Promise<void> {
    await this.pool.terminate();
  }
}
