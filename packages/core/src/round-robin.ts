/**
 * A queue that serves its keys in turn: each key (a call) has its own FIFO, and `shift()` takes the
 * oldest item of the key whose turn it is, then moves that key to the end. Shared worker pools use
 * it so that one call's many pre-dispatched batches do not hold other calls' batches behind them.
 */
export class RoundRobinQueue<T> {
  /** Keys with items, in turn order (Map keeps insertion order; a served key is re-inserted last). */
  private readonly byKey = new Map<string, T[]>();
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    let items = this.byKey.get(key);
    if (items === undefined) this.byKey.set(key, (items = []));
    items.push(item);
    this.count++;
  }

  /** The oldest item of the key whose turn it is, or undefined when empty. */
  shift(): T | undefined {
    const first = this.byKey.entries().next();
    if (first.done) return undefined;
    const [key, items] = first.value;
    this.byKey.delete(key);
    const item = items.shift()!;
    if (items.length > 0) this.byKey.set(key, items);
    this.count--;
    return item;
  }

  /** Removes `item` (queued under `key`); false when it was not queued. */
  remove(key: string, item: T): boolean {
    const items = this.byKey.get(key);
    const at = items === undefined ? -1 : items.indexOf(item);
    if (at < 0) return false;
    items!.splice(at, 1);
    if (items!.length === 0) this.byKey.delete(key);
    this.count--;
    return true;
  }

  /** Empties the queue; returns every item, in turn order. */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }
}
