import {
  AutoBatching,
  BackendBase,
  type BackendContext,
  type NestedBackend,
  type SubmitOptions,
  type TaskBatch,
} from '../src/backend-api.js';
import type { ParallelBackend } from '../src/index.js';
import { sequentialAt } from '../src/internal.js';

/** An in-process pool backend for scheduler tests: runs at most `workers` batches at once and records them. */
export class RecordingBackend implements ParallelBackend {
  name = 'recording';
  supportsSharedMem = false;
  supportsTimeout = false;
  usesThreads = false;
  supportsInnerMaxNumThreads = false;
  nestingLevel = 0;
  readonly batches: Array<{ first: number; size: number }> = [];
  readonly auto = new AutoBatching();
  configured = 0;
  terminated = 0;
  stopped: string[] = [];
  private running = 0;
  private queue: Array<() => void> = [];

  constructor(
    private readonly options: { workers?: number; auto?: boolean; configureResult?: number } = {},
  ) {}

  effectiveNJobs(nJobs: number): number {
    if (nJobs === 0) throw new RangeError('nJobs == 0');
    return nJobs < 0 ? Math.max(4 + 1 + nJobs, 1) : nJobs;
  }

  runsInCaller(nJobs: number): boolean {
    return nJobs === 1;
  }

  async configure(nJobs: number, _context: BackendContext): Promise<number> {
    this.configured++;
    return this.options.configureResult ?? this.options.workers ?? this.effectiveNJobs(nJobs);
  }

  async submit(batch: TaskBatch, options: SubmitOptions): Promise<unknown[]> {
    this.batches.push({ first: batch.firstIndex, size: batch.size });
    const workers = this.options.workers ?? 2;
    if (this.running >= workers) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    try {
      // yield first so dispatch and completion interleave as with a real pool
      await new Promise((resolve) => setImmediate(resolve));
      return await batch.run({ signal: options.signal });
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  computeBatchSize(): number {
    return this.options.auto ? this.auto.computeBatchSize() : 1;
  }

  batchCompleted(batchSize: number, durationMs: number): void {
    this.auto.batchCompleted(batchSize, durationMs);
  }

  getNestedBackend(): NestedBackend {
    return { backend: sequentialAt(this.nestingLevel + 1), nJobs: null };
  }

  async terminate(): Promise<void> {
    this.terminated++;
  }

  async stopCall(callId: string): Promise<void> {
    this.stopped.push(callId);
  }
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A local backend with nothing but protocol 2's defaults (BackendBase): no batching policy of its own. */
export class DefaultsBackend extends BackendBase {
  readonly name = 'defaults';
  submitted = 0;

  submit(batch: TaskBatch, options: SubmitOptions): Promise<unknown[]> {
    this.submitted++;
    return batch.run({ signal: options.signal });
  }
}
