/**
 * Tasks and an actor class the client conformance suite runs (a task module: workers import it).
 * Plain data in and out, so every engine can run them.
 */

import { actorClass, currentClient } from '@parajob/client';
import { task } from '@parajob/core';

export class CustomError extends Error {
  override name = 'CustomError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const square = task(import.meta.url, function square(x: number) {
  return x * x;
});

export const add = task(import.meta.url, function add(a: number, b: number) {
  return a + b;
});

export const sleep = task(import.meta.url, async function sleep(ms: number, value: unknown = ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
});

export const fail = task(import.meta.url, function fail(message: string) {
  throw new CustomError(message, 'E_CUSTOM');
});

export const identity = task(import.meta.url, function identity(value: unknown) {
  return value;
});

/** Sum of a typed array, and whether it arrived on shared memory. */
export const sumArray = task(import.meta.url, function sumArray(array: Float64Array) {
  let sum = 0;
  for (let i = 0; i < array.length; i++) sum += array[i]!;
  return { sum, shared: array.buffer instanceof SharedArrayBuffer };
});

/** Whether its argument holds an ObjectRef (passed as a ref, not resolved). */
export const describeNested = task(import.meta.url, async function describeNested(holder: { ref: unknown }) {
  const ref = holder.ref as PromiseLike<unknown> & { id?: string };
  const isRef =
    typeof ref === 'object' && ref !== null && typeof ref.then === 'function' && typeof ref.id === 'string';
  return { isRef, value: isRef ? await currentClient().get(ref as never) : null };
});

/** Exits its worker on the first `failures` attempts (counted in a file), then returns 'ok'. */
export const exitUntil = task(
  import.meta.url,
  async function exitUntil(counterFile: string, failures: number) {
    const fs = await import('node:fs');
    const count = fs.existsSync(counterFile) ? Number(fs.readFileSync(counterFile, 'utf8')) : 0;
    fs.writeFileSync(counterFile, String(count + 1));
    if (count < failures) process.exit(3);
    return count + 1;
  },
);

/** Throws CustomError on the first `failures` attempts (counted in a file). */
export const throwUntil = task(
  import.meta.url,
  async function throwUntil(counterFile: string, failures: number) {
    const fs = await import('node:fs');
    const count = fs.existsSync(counterFile) ? Number(fs.readFileSync(counterFile, 'utf8')) : 0;
    fs.writeFileSync(counterFile, String(count + 1));
    if (count < failures) throw new CustomError(`attempt ${count + 1} failed`, 'E_RETRY');
    return count + 1;
  },
);

/** Nested tasks: the sum of squares of 0..n-1, each computed by a child task. */
export const sumOfSquares = task(import.meta.url, async function sumOfSquares(n: number) {
  const client = currentClient();
  const refs = Array.from({ length: n }, (_, i) => client.remote(square).remote(i));
  const values = await client.get(refs);
  return values.reduce((a, b) => a + b, 0);
});

/** A chain of nested tasks: each waits in get() for the next, `depth` deep; returns the depth. */
export const chain = task(import.meta.url, async function chain(depth: number): Promise<number> {
  if (depth <= 0) return 0;
  const client = currentClient();
  return 1 + (await client.get(client.remote(chain).remote(depth - 1)));
});

/** The same chain, each task awaiting its child's ref itself (`await ref`, no get()). */
export const chainAwait = task(import.meta.url, async function chainAwait(depth: number): Promise<number> {
  if (depth <= 0) return 0;
  return (
    1 +
    (await currentClient()
      .remote(chainAwait)
      .remote(depth - 1))
  );
});

/** Refs inside an argument, passed on one level further: the child task gets them. */
export const forwardNested = task(import.meta.url, async function forwardNested(holder: { refs: unknown[] }) {
  const client = currentClient();
  return client.get(client.remote(sumNested).remote({ refs: holder.refs }));
});

/** The sum of the values of the refs inside its argument. */
export const sumNested = task(import.meta.url, async function sumNested(holder: { refs: unknown[] }) {
  const values = await currentClient().get(holder.refs as never[]);
  return (values as number[]).reduce((a, b) => a + b, 0);
});

/** Submits a function shipped as source from inside a task: a remote worker refuses it unless --allow-source. */
export const nestedSource = task(import.meta.url, async function nestedSource(x: number) {
  const client = currentClient();
  return client.get(client.remote((y: number) => y + 1).remote(x));
});

/** A binary tree of nested tasks: `count` leaves, each parent waiting in get for its two children. */
export const treeCount = task(import.meta.url, async function treeCount(count: number): Promise<number> {
  if (count <= 1) return 1;
  const client = currentClient();
  const half = Math.floor(count / 2);
  const [a, b] = await client.get([
    client.remote(treeCount).remote(half),
    client.remote(treeCount).remote(count - half),
  ]);
  return a! + b!;
});

/** A task that spins (synchronously) for `ms`, then returns. */
export const spin = task(import.meta.url, function spin(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return ms;
});

/** A streaming generator: yields 0..n-1, recording in `logFile` (if given) when it stops. */
export const countTo = task(import.meta.url, async function* countTo(n: number, logFile?: string) {
  try {
    for (let i = 0; i < n; i++) yield i;
  } finally {
    if (logFile) (await import('node:fs')).appendFileSync(logFile, 'closed\n');
  }
});

/** Yields forever, recording each produced index (to observe back-pressure). */
export const produce = task(import.meta.url, async function* produce(logFile: string) {
  const fs = await import('node:fs');
  for (let i = 0; ; i++) {
    fs.appendFileSync(logFile, `${i}\n`);
    yield i;
  }
});

/** Yields 0..n-1, then throws a CustomError (code 'mid-stream'): the items come first, then the error. */
export const failAfter = task(import.meta.url, async function* failAfter(n: number) {
  for (let i = 0; i < n; i++) yield i;
  throw new CustomError(`failed after ${n} items`, 'mid-stream');
});

/** Yields `n` buffers of `bytes` bytes, each filled with its index (items bigger than a message). */
export const bigItems = task(import.meta.url, async function* bigItems(n: number, bytes: number) {
  for (let i = 0; i < n; i++) yield new Uint8Array(bytes).fill(i);
});

/** Yields its worker's pid up to `n` times, `ms` apart (to find, and kill, the worker running it). */
export const pidStream = task(import.meta.url, async function* pidStream(n: number, ms: number) {
  for (let i = 0; i < n; i++) {
    yield process.pid;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
});

export const Counter = actorClass(
  import.meta.url,
  class Counter {
    value: number;
    constructor(start = 0) {
      this.value = start;
    }
    increment(by = 1) {
      this.value += by;
      return this.value;
    }
    get() {
      return this.value;
    }
    /** The process hosting the actor (to find, and kill, its worker). */
    pid() {
      return process.pid;
    }
    async slowIncrement(ms: number) {
      const before = this.value;
      await new Promise((resolve) => setTimeout(resolve, ms));
      this.value = before + 1;
      return this.value;
    }
    async concurrentProbe(ms: number) {
      this.active = (this.active ?? 0) + 1;
      this.peak = Math.max(this.peak ?? 0, this.active);
      await new Promise((resolve) => setTimeout(resolve, ms));
      this.active--;
      return this.peak;
    }
    active?: number;
    peak?: number;
    exit() {
      process.exit(5);
    }
    fail(message: string) {
      throw new CustomError(message, 'E_ACTOR');
    }
    async *stream(n: number) {
      for (let i = 0; i < n; i++) yield this.value + i;
    }
  },
);
