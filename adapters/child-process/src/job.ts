/** One batch on its way through the pool: queued, then run by one worker, settled exactly once. */
import type { TaskBatch, WireBatch, WireResult } from '@parajob/core/backend';

export class Job {
  settled = false;
  /** Its arguments reference shared-buffer files (the worker caches them until the call ends). */
  sharesBuffers = false;
  readonly promise: Promise<WireResult>;
  private resolveJob!: (result: WireResult) => void;
  private rejectJob!: (error: unknown) => void;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    readonly batch: TaskBatch,
    readonly wire: WireBatch,
    readonly timeout: number | null,
    readonly signal: AbortSignal,
  ) {
    this.promise = new Promise<WireResult>((resolve, reject) => {
      this.resolveJob = resolve;
      this.rejectJob = reject;
    });
  }

  /** Runs once the job is settled (detach listeners, forget the job). */
  onSettled(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  succeed(result: WireResult): void {
    if (this.settle()) this.resolveJob(result);
  }

  fail(error: unknown): void {
    if (this.settle()) this.rejectJob(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    for (const cleanup of this.cleanups) cleanup();
    return true;
  }
}
