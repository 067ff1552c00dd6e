/**
 * A call that dispatches thousands of batches at once (`preDispatch: 'all'`, thousands of workers)
 * would otherwise do it in one synchronous burst: timers, I/O, progress output and a live dashboard
 * all wait behind it (a second with 10 000 workers). The dispatch loop asks `expired()` after each
 * batch and gives the event loop a turn once its slice has run `budgetMs`.
 */
export class TimeSlice {
  private start = performance.now();
  private calls = 0;

  /** Reading the clock is not free: it is read once every `every` calls. */
  constructor(
    private readonly budgetMs: number,
    private readonly every: number,
  ) {}

  /** The loop just got its turn back from the event loop: a new slice starts. */
  restart(): void {
    this.start = performance.now();
    this.calls = 0;
  }

  expired(): boolean {
    if (++this.calls < this.every) return false;
    this.calls = 0;
    return performance.now() - this.start > this.budgetMs;
  }
}

/** Resolves after the event loop has run its timers and I/O once. */
export function giveWay(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
