/**
 * ObjectRef: a future value of the cluster (a task's result, or a value put()). It settles once;
 * waiters register a listener instead of a promise each, so wait() over 10 000 refs costs one pass
 * and no closures per call when enough refs are ready already.
 */
export enum RefState {
  Pending = 0,
  Ready = 1,
  Failed = 2,
}

type Listener = (ref: ObjectRef<any>) => void;

export class ObjectRef<T = unknown> implements PromiseLike<T> {
  /** @internal */ state = RefState.Pending;
  /** @internal */ value: T | undefined = undefined;
  /** @internal */ error: unknown = undefined;
  /** @internal the last wait() call that saw this ref (finds duplicates without a Set) */
  waitMark = 0;
  private listeners: Listener[] | null = null;
  private promise: Promise<T> | undefined;
  /**
   * @internal Asked once, when something first waits on a pending ref: refs that travelled into a
   * worker fetch their value from the cluster only when a task needs it.
   */
  onDemand: ((ref: ObjectRef<any>) => void) | undefined;

  constructor(readonly id: string) {}

  /** @internal */
  resolve(value: T): void {
    if (this.state !== RefState.Pending) return;
    this.state = RefState.Ready;
    this.value = value;
    this.flush();
  }

  /** @internal */
  reject(error: unknown): void {
    if (this.state !== RefState.Pending) return;
    this.state = RefState.Failed;
    this.error = error;
    this.flush();
  }

  /** @internal Calls `listener` once the ref settles (at once, synchronously, when it has). */
  listen(listener: Listener): void {
    if (this.state !== RefState.Pending) {
      listener(this);
      return;
    }
    (this.listeners ??= []).push(listener);
    this.demand();
  }

  /** @internal Like listen, without asking for the value (an index that only mirrors states). */
  watch(listener: Listener): void {
    if (this.state !== RefState.Pending) listener(this);
    else (this.listeners ??= []).push(listener);
  }

  /** @internal Removes a listener that is no longer needed (a wait that returned). */
  unlisten(listener: Listener): void {
    const list = this.listeners;
    if (list === null) return;
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }

  /** @internal */
  demand(): void {
    const ask = this.onDemand;
    if (ask === undefined) return;
    this.onDemand = undefined;
    ask(this);
  }

  private flush(): void {
    const list = this.listeners;
    this.listeners = null;
    this.onDemand = undefined;
    if (list !== null) for (const listener of list) listener(this);
  }

  /** @internal The settled value as a promise (made once). */
  asPromise(): Promise<T> {
    if (this.promise === undefined) {
      this.promise = new Promise<T>((resolve, reject) =>
        this.listen((ref) => (ref.state === RefState.Ready ? resolve(ref.value as T) : reject(ref.error))),
      );
    }
    return this.promise;
  }

  // biome-ignore lint/suspicious/noThenProperty: an ObjectRef is awaitable on purpose (as Ray's ObjectRef in asyncio)
  then<A = T, B = never>(
    onFulfilled?: ((v: T) => A | PromiseLike<A>) | null,
    onRejected?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.asPromise().then(onFulfilled, onRejected);
  }

  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}

export const isRef = (value: unknown): value is ObjectRef => value instanceof ObjectRef;
