/**
 * BackendBase: protocol 2's defaults in one place, so a backend states only what differs
 * (joblib's ParallelBackendBase, without its class tree: extend it directly).
 */
import type { BackendContext, ParallelBackend, SubmitOptions } from './backend.js';
import type { TaskBatch } from './batch.js';
import { localNJobs } from './cpu-count.js';

export abstract class BackendBase implements ParallelBackend {
  abstract readonly name: string;
  readonly supportsSharedMem: boolean = false;
  readonly supportsTimeout: boolean = false;
  readonly usesThreads: boolean = false;
  readonly supportsInnerMaxNumThreads: boolean = false;
  nestingLevel = 0;

  /** joblib's rule on this machine's usable CPUs: -1 all, -2 all but one, N exactly N; 0 is a RangeError. */
  effectiveNJobs(nJobs: number): number {
    return localNJobs(nJobs);
  }

  /** `nJobs: 1` runs in the caller (a remote backend overrides this to return false). */
  runsInCaller(nJobs: number): boolean {
    return nJobs === 1;
  }

  /** Nothing to start: as many workers as effectiveNJobs says. */
  async configure(requestedNJobs: number, _context: BackendContext): Promise<number> {
    return this.effectiveNJobs(requestedNJobs);
  }

  abstract submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>>;

  async terminate(): Promise<void> {}
}
