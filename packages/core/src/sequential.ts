import type { NestedBackend, ParallelBackend, SubmitOptions } from './backend.js';
import { BackendBase } from './backend-base.js';
import type { TaskBatch } from './batch.js';
import { currentScope } from './config.js';
import { messages } from './messages.js';
import { activeBackend } from './resolve.js';

/**
 * Runs every task in the caller, one at a time (joblib's SequentialBackend): the reference
 * implementation of the protocol. Every call runs in the caller, whatever nJobs says, one task
 * per batch as in joblib; core calls none of configure() and submit() then, so they serve
 * only those who drive the backend directly.
 */
export class SequentialBackend extends BackendBase {
  readonly name = 'sequential';
  override readonly supportsSharedMem = true;

  override effectiveNJobs(nJobs: number): number {
    if (nJobs === 0) throw new RangeError(messages.option.nJobsZero());
    return 1;
  }

  override runsInCaller(): boolean {
    return true;
  }

  override async configure(requestedNJobs: number): Promise<number> {
    return this.effectiveNJobs(requestedNJobs);
  }

  submit(batch: TaskBatch, options: SubmitOptions): Promise<unknown[]> {
    return batch.run({ signal: options.signal, timeout: options.timeout });
  }

  /** joblib's: one task per batch (`batchSize: 'auto'` pulls one task at a time). */
  computeBatchSize(): number {
    return 1;
  }

  batchCompleted(): void {}

  /** Sequential does not change the nesting level, the backend or nJobs: nested calls see the caller's config. */
  getNestedBackend(): NestedBackend {
    const { backend, nJobs } = activeBackend(currentScope());
    return { backend, nJobs };
  }
}

/** A sequential backend at the given nesting level. */
export function sequentialAt(nestingLevel: number): SequentialBackend {
  const backend = new SequentialBackend();
  backend.nestingLevel = nestingLevel;
  return backend;
}

/** The backend for Parallel calls inside a backend's tasks: its own choice, else sequential one level deeper. */
export function nestedBackendOf(backend: ParallelBackend): NestedBackend {
  return backend.getNestedBackend?.() ?? { backend: sequentialAt(backend.nestingLevel + 1), nJobs: null };
}
