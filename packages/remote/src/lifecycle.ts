/**
 * A remote worker's lifecycle, one small state machine shared by every adapter:
 * `starting → serving → draining → stopped` (or `starting → stopped` when startup fails). It
 * counts the batches in flight, wakes whoever waits for them to finish (no polling), runs the
 * capacity heartbeat while serving, and turns SIGINT/SIGTERM into one drain with a grace period.
 */
import { messages } from './messages.js';

export type WorkerState = 'starting' | 'serving' | 'draining' | 'stopped';

const NEXT: Record<WorkerState, readonly WorkerState[]> = {
  starting: ['serving', 'stopped'],
  serving: ['draining'],
  draining: ['stopped'],
  stopped: [],
};

export class Lifecycle {
  private current: WorkerState = 'starting';
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  get state(): WorkerState {
    return this.current;
  }

  /** Batches admitted and not yet finished. */
  get running(): number {
    return this.inFlight;
  }

  private go(to: WorkerState): void {
    if (!NEXT[this.current].includes(to)) throw new Error(messages.lifecycle.transition(this.current, to));
    this.current = to;
    if (to !== 'serving' && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Startup done: batches are admitted from now on; `beat` (if any) runs every `everyMs` while serving. */
  serve(beat?: { everyMs: number; run: () => void }): void {
    this.go('serving');
    if (beat) this.heartbeat = setInterval(beat.run, beat.everyMs);
  }

  /** Admits one batch: false when the worker no longer takes work (the caller hands it back). */
  begin(): boolean {
    if (this.current !== 'serving') return false;
    this.inFlight++;
    return true;
  }

  /** One admitted batch finished (answered, handed back or dropped). */
  end(): void {
    if (this.inFlight === 0) return;
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves when no admitted batch is left. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * serving → draining: no new batches; running ones get `graceMs` to finish, then `handBack`
   * stops the rest (each adapter returns them to its driver or queue), and we wait for them.
   */
  async drain(graceMs: number, handBack: () => void): Promise<void> {
    this.go('draining');
    if (this.inFlight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        // setTimeout fires at once beyond 2^31-1 ms: a longer grace is, in practice, "wait for them"
        timer = setTimeout(resolve, Math.min(graceMs, 2 ** 31 - 1));
      });
      await Promise.race([this.idle(), grace]);
      clearTimeout(timer);
    }
    if (this.inFlight > 0) handBack();
    await this.idle();
  }

  /** draining (or a failed start) → stopped. */
  stopped(): void {
    this.go('stopped');
  }
}

/** Resolves with the first SIGINT or SIGTERM (listeners removed), for the worker commands. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
