/** Lazy, bounded consumption of the user's sync or async iterable of delayed calls. */
import { type Delayed, isDelayed } from './delayed.js';
import { messages } from './messages.js';

export class TaskSource {
  private readonly sync: Iterator<unknown> | undefined;
  private readonly async: AsyncIterator<unknown> | undefined;
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
    if (typeof (tasks as Iterable<unknown>)[Symbol.iterator] === 'function') {
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

  private check(value: unknown): Delayed {
    if (!isDelayed(value)) throw new TypeError(messages.delayed.notDelayed(this.taken, value));
    // an array is known to be exhausted at its last element, without one more next()
    if (++this.taken === this.knownLength) this.exhausted = true;
    return value;
  }

  /** Up to `n` tasks synchronously (sync sources only). */
  takeSync(n: number): Delayed[] {
    const out: Delayed[] = [];
    const it = this.sync!;
    while (out.length < n && !this.exhausted) {
      const r = it.next();
      if (r.done) this.exhausted = true;
      else out.push(this.check(r.value));
    }
    return out;
  }

  async take(n: number): Promise<Delayed[]> {
    if (this.sync) return this.takeSync(n);
    const out: Delayed[] = [];
    const it = this.async!;
    while (out.length < n && !this.exhausted) {
      const r = await it.next();
      if (r.done) this.exhausted = true;
      else out.push(this.check(r.value));
    }
    return out;
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
