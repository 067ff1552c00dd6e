/** Lazy, bounded consumption of the user's sync or async iterable of delayed calls. */
import { Delayed } from './delayed.js';
import { messages } from './messages.js';
import type { TaskTable } from './task-table.js';

export class TaskSource {
  private readonly sync: Iterator<unknown> | undefined;
  private readonly async: AsyncIterator<unknown> | undefined;
  /** An array input, read by index: no iterator step object per task. */
  private readonly array: readonly unknown[] | undefined;
  /** Tasks taken so far (the index of the next one). */
  taken = 0;
  exhausted = false;
  /** Length of the input when known up front (arrays). */
  readonly knownLength: number | null;

  constructor(tasks: Iterable<unknown> | AsyncIterable<unknown>) {
    if (tasks == null)
      throw new TypeError(
        'Parallel: tasks must be an iterable or async iterable of delayed(fn)(...args) calls',
      );
    if (Array.isArray(tasks)) {
      this.array = tasks;
    } else if (typeof (tasks as Iterable<unknown>)[Symbol.iterator] === 'function') {
      this.sync = (tasks as Iterable<unknown>)[Symbol.iterator]();
    } else if (typeof (tasks as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      this.async = (tasks as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    } else {
      throw new TypeError(
        'Parallel: tasks must be an iterable or async iterable of delayed(fn)(...args) calls',
      );
    }
    this.knownLength = Array.isArray(tasks) ? tasks.length : null;
  }

  get isAsync(): boolean {
    return this.async !== undefined;
  }

  /** How many tasks are left, when the input's length is known. */
  get remaining(): number | null {
    return this.knownLength === null ? null : this.knownLength - this.taken;
  }

  /**
   * Adds up to `n` tasks to `table` synchronously (sync sources only); returns how many. The loop
   * that pulls 100 000 tiny tasks: kept flat, since it runs unoptimized until V8 catches up.
   */
  fillSync(table: TaskTable, n: number): number {
    if (this.array !== undefined) return this.fillFromArray(table, n);
    const it = this.sync!;
    let added = 0;
    while (added < n && !this.exhausted) {
      const step = it.next();
      if (step.done) {
        this.exhausted = true;
        break;
      }
      this.take(step.value, table);
      added++;
    }
    return added;
  }

  /** `fillSync` for an array: its first `knownLength` elements, by index. */
  private fillFromArray(table: TaskTable, n: number): number {
    const array = this.array!;
    const end = Math.min(this.taken + n, this.knownLength!);
    const start = this.taken;
    for (let i = start; i < end; i++) this.take(array[i], table);
    if (this.taken === this.knownLength) this.exhausted = true;
    return end - start;
  }

  /** Adds up to `n` tasks to `table`; returns how many. */
  async fill(table: TaskTable, n: number): Promise<number> {
    if (!this.async) return this.fillSync(table, n);
    const it = this.async!;
    let added = 0;
    while (added < n && !this.exhausted && this.put(await it.next(), table)) added++;
    return added;
  }

  /** One step of an async input into `table`; false at its end. */
  private put(step: IteratorResult<unknown>, table: TaskTable): boolean {
    if (step.done) this.exhausted = true;
    else this.take(step.value, table);
    return !step.done;
  }

  /** Checks one input value and adds it to `table`. */
  private take(value: unknown, table: TaskTable): void {
    if (!(value instanceof Delayed)) throw new TypeError(messages.delayed.notDelayed(this.taken, value));
    // an array is known to be exhausted at its last element, without one more next()
    if (++this.taken === this.knownLength) this.exhausted = true;
    table.addDelayed(value);
  }

  /** Lets a generator run its finally blocks when the call stops early. */
  close(): void {
    if (this.exhausted) return;
    this.exhausted = true;
    try {
      const r = this.sync?.return?.() ?? this.async?.return?.();
      if (r && typeof (r as Promise<unknown>).then === 'function')
        (r as Promise<unknown>).then(undefined, () => {});
    } catch {
      // the input's own cleanup failing must not mask the call's outcome
    }
  }
}
