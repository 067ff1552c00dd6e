import { messages } from './messages.js';

export type TaskFunction<R = unknown> = (...args: any[]) => R;

/**
 * One captured call: `fn` and its `args`. `R` is what `fn` returns (a promise is awaited).
 *
 * Kept small on purpose: the README's idiom, `items.map((x) => delayed(f)(x))`, keeps every call
 * alive until the call ends, and the garbage collector copies each one through the young
 * generation. A one-argument call (the usual case) stores its argument without an array, which
 * halves what 100 000 queued calls cost the collector; `args` builds the array when asked.
 */
export class Delayed<R = unknown> {
  /** @internal The only argument of a one-argument call (when `list` is null). */
  readonly one: unknown;
  /** @internal The argument list, or null for a one-argument call (see `one`). */
  readonly list: readonly unknown[] | null;

  constructor(
    readonly fn: TaskFunction<R>,
    args: readonly unknown[],
  ) {
    if (args.length === 1) {
      this.one = args[0];
      this.list = null;
    } else {
      this.one = undefined;
      this.list = args;
    }
  }

  /** The call's arguments (a new array for a one-argument call). */
  get args(): readonly unknown[] {
    return this.list ?? [this.one];
  }
}

/** `delayed(fn)(...args)` captures a call for `Parallel.run`, keeping its types. */
export function delayed<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Delayed<R> {
  if (typeof fn !== 'function') throw new TypeError(messages.delayed.notFunction(fn));
  // the rest array of a one-argument call never outlives the constructor (V8 elides it once optimized)
  return (...args: A) => new Delayed<R>(fn, args);
}

export function isDelayed(value: unknown): value is Delayed {
  return value instanceof Delayed;
}
