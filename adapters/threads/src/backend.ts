/**
 * The threads backend (joblib's threading backend): tasks run on the caller's event loop, up to
 * nJobs batches at a time. Nothing is copied, so tasks see and may mutate the caller's memory;
 * it suits I/O-bound async tasks (network, fs, and zlib/crypto calls that libuv runs on its
 * thread pool). An in-process task cannot be killed: abort and timeout reject the call at once,
 * but a synchronous busy task keeps the event loop until it returns.
 */
import {
  type BackendContext,
  CallCancelledError,
  localNJobs,
  type ParallelBackend,
  type SubmitOptions,
  type TaskBatch,
} from '@parajob/core';
import { coreMessages } from '@parajob/core/internal';
import { messages } from './messages.js';
import { Slots } from './slots.js';

export interface ThreadsOptions {
  /** Nesting level of Parallel calls this backend runs at (set by parajob for nested calls). */
  nestingLevel?: number;
}

function resolveOptions(options: unknown): Required<ThreadsOptions> {
  if (options === undefined || options === null) return { nestingLevel: 0 };
  if (typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(messages.options.notObject(options));
  for (const key of Object.keys(options))
    if (key !== 'nestingLevel') throw new TypeError(messages.options.unknown(key));
  const { nestingLevel = 0 } = options as ThreadsOptions;
  if (!Number.isSafeInteger(nestingLevel) || nestingLevel < 0)
    throw new RangeError(messages.options.nestingLevel(nestingLevel));
  return { nestingLevel };
}

export class ThreadsBackend implements ParallelBackend {
  readonly name = 'threads';
  readonly supportsSharedMem = true;
  /** Async tasks are rejected promptly at their limit; a synchronous one only once it returns. */
  readonly supportsTimeout = true;
  readonly usesThreads = true;
  readonly supportsInnerMaxNumThreads = false;
  nestingLevel: number;
  private slots = new Slots(1);
  /** Aborted by abortEverything()/terminate(): stops every batch this instance runs. */
  private everything = new AbortController();

  constructor(options: ThreadsOptions = {}) {
    this.nestingLevel = resolveOptions(options).nestingLevel;
  }

  effectiveNJobs(nJobs: number): number {
    return localNJobs(nJobs);
  }

  async configure(nJobs: number, _context: BackendContext): Promise<number> {
    const n = this.effectiveNJobs(nJobs);
    this.slots = new Slots(n);
    return n;
  }

  async submit(batch: TaskBatch, { signal, timeout }: SubmitOptions): Promise<ArrayLike<unknown>> {
    const stop = AbortSignal.any([signal, this.everything.signal]);
    const reason = () => stop.reason ?? new CallCancelledError(coreMessages.call.cancelled());
    const slots = this.slots;
    await slots.acquire(stop, reason);
    try {
      return await batch.run({ signal: stop, timeout });
    } finally {
      slots.release();
    }
  }

  /** Rejects this instance's batches now (a synchronous task still runs to its end); with ensureReady it stays usable. */
  async abortEverything({ ensureReady }: { ensureReady: boolean }): Promise<void> {
    this.everything.abort(new CallCancelledError(coreMessages.call.cancelled()));
    if (ensureReady) this.everything = new AbortController();
  }

  async terminate(): Promise<void> {
    await this.abortEverything({ ensureReady: true });
  }
}
