/**
 * Where a call keeps its results until they are handed out: joined in input order (run), one
 * PromiseSettledResult per task (runSettled), released in input order as they become complete
 * (iter), or in completion order (iterUnordered).
 */
import { TaskFailure } from './batch.js';

export type OutputMode = 'list' | 'settled' | 'ordered' | 'unordered';

export class ResultBuffer {
  /** list: each batch's values, joined once at the end (batches complete out of order). */
  private readonly chunks: Array<{ readonly first: number; readonly values: ArrayLike<unknown> }> = [];
  /** settled: one PromiseSettledResult per task, by index. */
  private readonly settled: unknown[] = [];
  /** ordered: results waiting for the ones before them. */
  private readonly waiting = new Map<number, unknown>();
  private nextIndex = 0;
  /** unordered: a queue, compacted as it is consumed. */
  private readonly queue: unknown[] = [];
  private head = 0;

  constructor(readonly mode: OutputMode) {}

  /** The values of a batch (or of its tasks that ran before a failure) starting at task `first`. */
  store(first: number, values: ArrayLike<unknown>): void {
    switch (this.mode) {
      case 'list':
        this.chunks.push({ first, values });
        return;
      case 'unordered':
        for (let i = 0; i < values.length; i++) this.queue.push(values[i]);
        return;
      default:
        for (let i = 0; i < values.length; i++) this.storeOne(first + i, values[i]);
    }
  }

  /** One task's value, or a TaskFailure (settled calls). */
  storeOne(index: number, value: unknown): void {
    switch (this.mode) {
      case 'settled':
        this.settled[index] =
          value instanceof TaskFailure
            ? { status: 'rejected', reason: value.error }
            : { status: 'fulfilled', value };
        return;
      case 'ordered':
        this.waiting.set(index, value);
        return;
      case 'list':
        this.chunks.push({ first: index, values: [value] });
        return;
      default:
        this.queue.push(value);
    }
  }

  /** Every result in input order (list and settled modes), once the call is done. */
  all(): unknown[] {
    if (this.mode === 'settled') return this.settled;
    let total = 0;
    for (const chunk of this.chunks) total += chunk.values.length;
    // one copy from each batch's values (often the typed array they crossed as) into the result
    const out = new Array<unknown>(total);
    let at = 0;
    for (const chunk of this.chunks.sort((a, b) => a.first - b.first)) {
      const values = chunk.values;
      for (let i = 0; i < values.length; i++) out[at++] = values[i];
    }
    return out;
  }

  /** The next result an iterator may hand out, or undefined when none is ready (iterator modes). */
  take(): { value: unknown } | undefined {
    if (this.mode === 'ordered') {
      if (!this.waiting.has(this.nextIndex)) return undefined;
      const value = this.waiting.get(this.nextIndex);
      this.waiting.delete(this.nextIndex++);
      return { value };
    }
    if (this.head >= this.queue.length) return undefined;
    const value = this.queue[this.head];
    this.queue[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return { value };
  }
}
