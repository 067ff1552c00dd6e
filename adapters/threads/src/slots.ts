/**
 * At most `size` batches in flight: what nJobs means for tasks that share the caller's event
 * loop. A waiter whose call is aborted leaves the queue at once instead of holding its turn.
 */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Resolves when a slot is ours; rejects with the signal's reason if the call is aborted first. */
  acquire(signal: AbortSignal, reason: () => unknown): Promise<void> {
    if (signal.aborted) return Promise.reject(reason());
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(reason());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
