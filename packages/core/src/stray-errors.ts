/**
 * Worker side: errors a task leaves behind (a timer that throws, a promise nobody awaits that
 * rejects) surface as uncaught exceptions, outside any task. Each batch runs in an async context
 * naming its call, which timers and promises created by its tasks inherit, so such an error can be
 * traced to the call that caused it. An error of the call now running fails it as before (the
 * worker dies and is replaced); one of another call (an earlier one, or one still running on
 * other workers) is reported on stderr and ignored, so it never fails a call it has nothing to do with.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { messages } from './messages.js';

export class StrayErrors {
  private readonly scope = new AsyncLocalStorage<string>();
  /** The call of the batch this worker runs now. */
  private running: string | undefined;

  /** Runs one batch of `call` (one at a time per worker), in that call's async context. */
  async run<T>(call: string, batch: () => Promise<T>): Promise<T> {
    this.running = call;
    try {
      return await this.scope.run(call, batch);
    } finally {
      this.running = undefined;
    }
  }

  /**
   * For the worker's `uncaughtException` handler: true when `error` was raised by the call now
   * running (the worker must fail it as before); otherwise it is reported on stderr and false.
   */
  ownedByRunningCall(error: unknown): boolean {
    const call = this.scope.getStore();
    if (call !== undefined && call === this.running) return true;
    const text = error instanceof Error && error.stack ? error.stack : String(error);
    process.stderr.write(
      `${messages.stray.ignored(call === undefined ? 'no call' : `call ${call}`)}\n${text}\n`,
    );
    return false;
  }
}
