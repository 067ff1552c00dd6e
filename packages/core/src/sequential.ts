import type { BackendContext, NestedBackend, ParallelBackend, SubmitOptions } from './backend.js';
import type { TaskBatch } from './batch.js';
import { currentScope } from './config.js';
import { messages } from './messages.js';
import { activeBackend } from './resolve.js';

/** Runs every task in the caller, one at a time: the reference implementation of the protocol. */
export class SequentialBackend implements ParallelBackend {
  readonly name = 'sequential';
  readonly supportsSharedMem = true;
  readonly supportsTimeout = false;
  readonly usesThreads = false;
  readonly supportsInnerMaxNumThreads = false;
  nestingLevel: number;

  constructor(options: { nestingLevel?: number } = {}) {
    this.nestingLevel = options.nestingLevel ?? 0;
  }

  effectiveNJobs(nJobs: number): number {
    if (nJobs === 0) throw new RangeError(messages.option.nJobsZero());
    return 1;
  }

  async configure(_nJobs: number, _context: BackendContext): Promise<number> {
    return 1;
  }

  submit(batch: TaskBatch, options: SubmitOptions): Promise<unknown[]> {
    return batch.run({ signal: options.signal });
  }

  computeBatchSize(): number {
    return 1;
  }

  batchCompleted(): void {}

  /** Sequential does not change the nesting level, the backend or nJobs: nested calls see the caller's config. */
  getNestedBackend(): NestedBackend {
    const { backend, nJobs } = activeBackend(currentScope());
    return { backend, nJobs };
  }

  async abortEverything(): Promise<void> {}

  async terminate(): Promise<void> {}
}

/** The backend for Parallel calls inside a backend's tasks: its own choice, else sequential one level deeper. */
export function nestedBackendOf(backend: ParallelBackend): NestedBackend {
  return (
    backend.getNestedBackend?.() ?? {
      backend: new SequentialBackend({ nestingLevel: backend.nestingLevel + 1 }),
      nJobs: null,
    }
  );
}
