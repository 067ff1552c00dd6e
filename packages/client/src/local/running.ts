/** One task or actor call running on a worker thread: its cancellation and its stream credit. */
import { TaskCancelledError } from '../errors.js';
import { messages } from '../messages.js';

enum RunState {
  Running = 0,
  Cancelled = 1,
}

export class Running {
  private state = RunState.Running;
  private readonly controller = new AbortController();
  /** Stream items the consumer has taken. */
  acked = 0;
  private wakeCredit: (() => void) | null = null;
  /** Rejects when the task is cancelled (raced against the task). */
  readonly whenCancelled: Promise<never>;
  private rejectCancelled!: (error: Error) => void;

  constructor(readonly id: string) {
    this.whenCancelled = new Promise<never>((_, reject) => {
      this.rejectCancelled = reject;
    });
    this.whenCancelled.catch(() => {});
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get cancelled(): boolean {
    return this.state === RunState.Cancelled;
  }

  cancel(): void {
    if (this.state === RunState.Cancelled) return;
    this.state = RunState.Cancelled;
    const error = new TaskCancelledError(messages.cancelled(this.id));
    this.controller.abort(error);
    this.rejectCancelled(error);
    this.wake();
  }

  credit(): void {
    this.acked++;
    this.wake();
  }

  /** Resolves at the next credit or at cancellation. */
  nextCredit(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeCredit = resolve;
    });
  }

  private wake(): void {
    const wake = this.wakeCredit;
    this.wakeCredit = null;
    wake?.();
  }
}
