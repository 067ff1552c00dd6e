import { messages } from './messages.js';

export type TaskFunction<R = unknown> = (...args: any[]) => R;

/** One captured call: `fn` and its `args`. `R` is what `fn` returns (a promise is awaited). */
export class Delayed<R = unknown> {
  constructor(
    readonly fn: TaskFunction<R>,
    readonly args: readonly unknown[],
  ) {}
}

/** `delayed(fn)(...args)` captures a call for `Parallel.run`, keeping its types. */
export function delayed<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Delayed<R> {
  if (typeof fn !== 'function') throw new TypeError(messages.delayed.notFunction(fn));
  return (...args: A) => new Delayed<R>(fn, args);
}

export function isDelayed(value: unknown): value is Delayed {
  return value instanceof Delayed;
}
