/**
 * One task or actor call running on a worker thread: its cancellation and its stream credit.
 * The abort signal and the cancellation promise are made only when something asks for them: most
 * tasks return a plain value and need neither.
 */
import type { Client } from '../client.js';
import type { TaskContext } from '../context.js';
import { TaskCancelledError } from '../errors.js';
import { messages } from '../messages.js';

enum RunState {
  Running = 0,
  Cancelled = 1,
}

export class Running implements TaskContext {
  private state = RunState.Running;
  private controller: AbortController | undefined;
  /** Stream items the consumer has taken. */
  acked = 0;
  private wakeCredit: (() => void) | null = null;
  private cancelled_: Promise<never> | undefined;
  private rejectCancelled: ((error: Error) => void) | undefined;

  constructor(
    readonly taskId: string,
    readonly client: Client,
  ) {}

  /** Aborted when the task is cancelled (TaskContext.signal). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.state === RunState.Cancelled) this.controller.abort(this.error());
    }
    return this.controller.signal;
  }

  /** Rejects when the task is cancelled (raced against a task that returned a promise). */
  get whenCancelled(): Promise<never> {
    if (this.cancelled_ === undefined) {
      this.cancelled_ = new Promise<never>((_, reject) => {
        this.rejectCancelled = reject;
      });
      this.cancelled_.catch(() => {});
      if (this.state === RunState.Cancelled) this.rejectCancelled!(this.error());
    }
    return this.cancelled_;
  }

  get cancelled(): boolean {
    return this.state === RunState.Cancelled;
  }

  private error(): TaskCancelledError {
    return new TaskCancelledError(messages.cancelled(this.taskId));
  }

  cancel(): void {
    if (this.state === RunState.Cancelled) return;
    this.state = RunState.Cancelled;
    const error = this.error();
    this.controller?.abort(error);
    this.rejectCancelled?.(error);
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
