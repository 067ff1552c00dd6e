/**
 * The threads backend (joblib's threading backend): tasks run on the caller's event loop, up to
 * nJobs batches at a time. Nothing is copied, so tasks see and may mutate the caller's memory;
 * it suits I/O-bound async tasks (network, fs, and zlib/crypto calls that libuv runs on its
 * thread pool). An in-process task cannot be killed: abort and timeout reject the call at once,
 * but a synchronous busy task keeps the event loop until it returns.
 */
import { BackendBase, CallCancelledError, type SubmitOptions, type TaskBatch } from '@parajob/core/backend';
import { coreMessages } from '@parajob/core/internal';
import { messages } from './messages.js';
import { Slots } from './slots.js';

/** `new ThreadsBackend()` takes no options yet; an object is accepted so parallelConfig's backend options fit. */
export type ThreadsOptions = Record<string, never>;

function checkOptions(options: unknown): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(messages.options.notObject(options));
  for (const key of Object.keys(options)) throw new TypeError(messages.options.unknown(key));
}

export class ThreadsBackend extends BackendBase {
  readonly name = 'threads';
  override readonly supportsSharedMem = true;
  /** Async tasks are rejected promptly at their limit; a synchronous one only once it returns. */
  override readonly supportsTimeout = true;
  override readonly usesThreads = true;
  private slots = new Slots(1);
  /** Aborted by terminate(): stops every batch this instance runs. */
  private everything = new AbortController();

  constructor(options: ThreadsOptions = {}) {
    super();
    checkOptions(options);
  }

  override async configure(requestedNJobs: number): Promise<number> {
    const n = this.effectiveNJobs(requestedNJobs);
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

  /** Rejects this instance's batches now (a synchronous task still runs to its end); the instance stays usable. */
  override async terminate(): Promise<void> {
    this.everything.abort(new CallCancelledError(coreMessages.call.cancelled()));
    this.everything = new AbortController();
  }
}
