/**
 * The worker-side task loop. Tasks run in a plain synchronous loop for as long as they return
 * plain values, so V8 optimizes the loop while it runs (a loop inside an async function is not
 * optimized on the fly, and a batch of 16 000 tiny tasks otherwise runs interpreted); only a task
 * that returns a promise, or throws, leaves the loop and is handled by the async caller.
 */
import { isThenable } from './batch.js';
import type { TaskTable } from './task-table.js';

export class TableRun {
  /** The next task to run; after advance(), the task that stopped the loop (or the size: all ran). */
  pos = 0;
  readonly values: ResultValues;
  private pending: unknown;
  private threw = false;

  constructor(
    private readonly table: TaskTable,
    private readonly onTaskStart: ((position: number) => void) | undefined,
  ) {
    this.values = new ResultValues(table.length);
  }

  /** Runs tasks from `pos` until one returns a promise or throws, or the batch is done. */
  advance(): void {
    const { table, values, onTaskStart } = this;
    const size = table.length;
    for (let pos = this.pos; pos < size; pos++) {
      let value: unknown;
      let thenable = false;
      try {
        onTaskStart?.(pos);
        value = table.call(pos);
        // reading `then` can throw (a proxy, a getter): the task fails with that, as `await` would
        thenable = typeof value !== 'number' && isThenable(value);
      } catch (error) {
        this.stop(pos, error, true);
        return;
      }
      // numbers, the common case, without a call (this loop runs unoptimized until V8 catches up)
      if (typeof value === 'number' && values.numbers !== null) values.numbers[pos] = value;
      else if (thenable) {
        this.stop(pos, value, false);
        return;
      } else values.set(pos, value);
    }
    this.pos = size;
  }

  /** What the task at `pos` gave: its promise (to await), or its error, thrown. */
  takeOutcome(): unknown {
    const outcome = this.pending;
    this.pending = undefined;
    if (this.threw) {
      this.threw = false;
      throw outcome;
    }
    return outcome;
  }

  private stop(pos: number, outcome: unknown, threw: boolean): void {
    this.pos = pos;
    this.pending = outcome;
    this.threw = threw;
  }
}

/**
 * A batch's results as they are produced: written straight into a Float64Array while they are
 * all numbers (what crosses back as one copy of memory), into an array from the first that is not.
 */
export class ResultValues {
  /** The values while they are all numbers (null once one is not, or for small batches). */
  numbers: Float64Array | null;
  private values: unknown[] | null;

  constructor(private readonly size: number) {
    this.numbers = size >= 16 ? new Float64Array(size) : null;
    this.values = this.numbers === null ? new Array<unknown>(size) : null;
  }

  set(pos: number, value: unknown): void {
    const numbers = this.numbers;
    if (numbers !== null && typeof value === 'number') numbers[pos] = value;
    else this.array()[pos] = value;
  }

  /** The values as an array (from here on, values are kept in it). */
  array(): unknown[] {
    if (this.values === null) {
      const values = new Array<unknown>(this.size);
      for (let i = 0; i < this.size; i++) values[i] = this.numbers![i];
      this.values = values;
      this.numbers = null;
    }
    return this.values;
  }

  /** The values of the tasks before `pos`. */
  before(pos: number): unknown[] {
    return this.numbers !== null ? Array.from(this.numbers.subarray(0, pos)) : this.values!.slice(0, pos);
  }

  /** What crosses back: the Float64Array when every value was a number. */
  packed(): unknown[] {
    return (this.numbers as unknown as unknown[] | null) ?? this.values!;
  }
}
