/**
 * ObjectRefGenerator: what a streaming (async function*) task returns. An async iterable of the
 * values the task yields, as they are produced (Ray yields refs and you get each; here `for await`
 * gives the value at once, which is also what TypeScript types a `for await` over thenables as);
 * an error thrown by the task is thrown by the loop after the values before it. The engine pushes; the consumer pulls; the
 * task may run at most `backpressure` items ahead (the engine is told as each item is taken), and
 * leaving the loop early (break) cancels the task.
 */
import { ObjectRef, RefState } from './object-ref.js';

enum StreamState {
  Open = 0,
  Ended = 1,
  /** The consumer left early: items are dropped, the task is cancelled. */
  Closed = 2,
}

export interface StreamControl {
  /** An item was taken by the consumer: the producer may run one further. */
  taken(): void;
  /** The consumer stopped (break, return): cancel the producer. */
  close(): void;
}

/** Where an engine sends a streaming task's items: a generator here, or a relay to another thread. */
export interface StreamSink {
  push(value: unknown): void;
  fail(error: unknown): void;
  end(): void;
  control: StreamControl | undefined;
}

export class ObjectRefGenerator<T = unknown> implements AsyncIterableIterator<T>, StreamSink {
  private state = StreamState.Open;
  private readonly items: ObjectRef<T>[] = [];
  private waiting: ((r: IteratorResult<ObjectRef<T>>) => void) | null = null;
  private failed = false;
  private count = 0;
  /** @internal set by the engine that runs the task */
  control: StreamControl | undefined;

  constructor(readonly id: string) {}

  /** @internal the consumer left the loop before the task ended (the task is cancelled) */
  get leftEarly(): boolean {
    return this.state === StreamState.Closed;
  }

  /** @internal the task yielded `value` */
  push(value: T): void {
    const ref = new ObjectRef<T>(`${this.id}.${this.count++}`);
    ref.resolve(value);
    this.deliver(ref);
  }

  /** @internal the task failed: the consumer gets one failed ref, then the end */
  fail(error: unknown): void {
    const ref = new ObjectRef<T>(`${this.id}.${this.count++}`);
    ref.reject(error);
    this.deliver(ref);
    this.end();
  }

  /** @internal the task returned */
  end(): void {
    if (this.state !== StreamState.Open) return;
    this.state = StreamState.Ended;
    this.wake({ value: undefined, done: true });
  }

  private deliver(ref: ObjectRef<T>): void {
    if (this.state !== StreamState.Open) return;
    if (this.waiting !== null) {
      this.wake({ value: ref, done: false });
      this.control?.taken();
    } else this.items.push(ref);
  }

  private wake(result: IteratorResult<ObjectRef<T>>): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(result);
  }

  /** The next item as a ref (Ray's `next(gen)`): a failed ref carries the task's error. */
  nextRef(): Promise<IteratorResult<ObjectRef<T>>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.control?.taken();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.state !== StreamState.Open) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.failed) return { value: undefined, done: true };
    const step = await this.nextRef();
    if (step.done) return { value: undefined, done: true };
    if (step.value.state === RefState.Failed) {
      this.failed = true;
      throw step.value.error;
    }
    return { value: step.value.value as T, done: false };
  }

  return(): Promise<IteratorResult<T>> {
    if (this.state === StreamState.Open) {
      this.state = StreamState.Closed;
      this.control?.close();
    }
    this.items.length = 0;
    this.wake({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
