/**
 * Fair sharing of one shared pool between calls. piscina runs its queue first come, first served,
 * so a call that pre-dispatches many batches would hold every other call's batches behind its own
 * (a second Parallel instance's short call waited for a first instance's long one). Here the pool
 * is given at most one batch per thread; the rest wait in one queue per call, and a free thread
 * takes the next batch of the next call in turn (round robin).
 */

import { RoundRobinQueue } from '@parajob/core/internal';

type Start = () => void;

export class FairQueue {
  private running = 0;
  /** Batches waiting for a thread, served call by call in turn. */
  private readonly waiting = new RoundRobinQueue<Start>();

  constructor(private readonly capacity: number) {}

  /** Runs `start()` when a thread is free and it is `call`'s turn; `signal` withdraws it while it waits. */
  run<T>(call: string, signal: AbortSignal, start: () => Promise<T>): Promise<T> {
    if (this.running < this.capacity && this.waiting.length === 0) return this.begin(start);
    return new Promise<T>((resolve, reject) => {
      const entry: Start = () => {
        signal.removeEventListener('abort', onAbort);
        this.begin(start).then(resolve, reject);
      };
      const onAbort = () => {
        this.waiting.remove(call, entry);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(call, entry);
    });
  }

  private begin<T>(start: () => Promise<T>): Promise<T> {
    this.running++;
    let promise: Promise<T>;
    try {
      promise = start();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.finally(() => {
      this.running--;
      this.next();
    });
  }

  /** A thread is free: the call whose turn it is starts its oldest waiting batch. */
  private next(): void {
    while (this.running < this.capacity) {
      const start = this.waiting.shift();
      if (start === undefined) return;
      start();
    }
  }
}
