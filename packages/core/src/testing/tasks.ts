/**
 * Task functions for the conformance suite, importable by any worker (thread, process, remote).
 */
import { threadId } from 'node:worker_threads';
// core's runtime through its entry, not its modules: the build gives this file no copy of its own
import { delayed, getActiveBackend, Parallel, task } from '../index.js';

export const square = task(import.meta.url, function square(x: number): number {
  return x * x;
});

export const add = task(import.meta.url, function add(a: number, b = 0, c = 0): number {
  return a + b + c;
});

export const sleep = task(import.meta.url, function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
});

/** Keeps the CPU busy (a task that cannot yield), for timeouts that must stop a worker. */
export const spin = task(import.meta.url, function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
});

class CustomError extends Error {
  override name = 'CustomError';
  code = 'E_CUSTOM';
  detail: { x: number };
  constructor(message: string, detail: { x: number }) {
    super(message, { cause: new RangeError('root cause') });
    this.detail = detail;
  }
}

/** Throws an error of the given kind when `x === at`, else returns x. */
export const failAt = task(
  import.meta.url,
  function failAt(x: number, at: number, kind = 'TypeError'): number {
    if (x !== at) return x;
    if (kind === 'TypeError') throw Object.assign(new TypeError(`bad value ${x}`), { code: 'E_BAD' });
    if (kind === 'custom') throw new CustomError(`custom failure at ${x}`, { x });
    if (kind === 'string') throw `plain string ${x}`;
    throw new Error(`failure at ${x}`);
  },
);

/** Which backend a Parallel created inside the task would use. */
export const activeInside = task(import.meta.url, function activeInside(): {
  name: string;
  nestingLevel: number;
  nJobs: number;
} {
  const { backend, nJobs } = getActiveBackend();
  return { name: backend.name, nestingLevel: backend.nestingLevel, nJobs };
});

/** A task that itself runs a Parallel loop. */
export const nestedSquares = task(import.meta.url, async function nestedSquares(n: number): Promise<
  number[]
> {
  return new Parallel({ nJobs: 2 }).run(Array.from({ length: n }, (_, i) => delayed(square)(i)));
});

/** Where the task ran: `pid:threadId`. */
export const whereAmI = task(import.meta.url, function whereAmI(): string {
  return `${process.pid}:${threadId}`;
});

/** Echoes its argument (structured-clone round trip). */
export const echo = task(import.meta.url, function echo<T>(value: T): T {
  return value;
});
