/**
 * Logical resources, as Ray counts them: the engine declares `{ CPU: n, ...custom }`; a task holds
 * `{ CPU: numCpus, ...resources }` while it runs (not while it waits for arguments or blocks in
 * get). Ready tasks queue per resource shape, so a task waiting for a scarce resource does not hold
 * back tasks that need only CPUs.
 */
import type { TaskRecord } from './task-record.js';

export type Needs = Readonly<Record<string, number>>;

const shapes = new WeakMap<object, { readonly needs: Needs; readonly shape: string }>();

/** What a task holds while it runs, and its queue key; computed once per options object. */
export function needsOf(options: { numCpus: number; resources: Needs }): {
  readonly needs: Needs;
  readonly shape: string;
} {
  let found = shapes.get(options);
  if (found === undefined) {
    const needs = options.numCpus === 0 ? options.resources : { CPU: options.numCpus, ...options.resources };
    shapes.set(options, (found = { needs, shape: JSON.stringify(needs) }));
  }
  return found;
}

export const describeNeeds = (needs: Needs) =>
  Object.entries(needs)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'nothing';

export class ResourcePool {
  private readonly available: Record<string, number>;
  /** Ready tasks by resource shape; each queue is FIFO (head index, compacted as it drains). */
  private readonly queues = new Map<string, { items: TaskRecord[]; head: number }>();
  /** Entries in the queues (some may be tasks cancelled meanwhile). */
  private entries = 0;

  constructor(readonly total: Needs) {
    this.available = { ...total };
  }

  /** Whether the cluster could ever run a task with these needs. */
  feasible(needs: Needs): boolean {
    for (const key in needs) if (needs[key]! > (this.total[key] ?? 0)) return false;
    return true;
  }

  private fits(needs: Needs): boolean {
    for (const key in needs) if (needs[key]! > this.available[key]! + 1e-9) return false;
    return true;
  }

  /** Takes `needs` if they fit now. */
  tryAcquire(needs: Needs): boolean {
    if (!this.fits(needs)) return false;
    this.acquire(needs);
    return true;
  }

  /** Takes `needs` (a resumed task may take more than is free: Ray oversubscribes there too). */
  acquire(needs: Needs): void {
    for (const key in needs) this.available[key]! -= needs[key]!;
  }

  release(needs: Needs): void {
    for (const key in needs) this.available[key]! += needs[key]!;
  }

  enqueue(task: TaskRecord): void {
    let queue = this.queues.get(task.shape);
    if (queue === undefined) this.queues.set(task.shape, (queue = { items: [], head: 0 }));
    queue.items.push(task);
    this.entries++;
  }

  /** Whether no task waits for resources (one task at a time: its message may go at once). */
  get empty(): boolean {
    return this.entries === 0;
  }

  /** Tasks waiting for resources (counting any cancelled meanwhile and not yet skipped). */
  get waiting(): number {
    return this.entries;
  }

  /** The next queued task of this shape, fitting or not (its resources taken: a pipelined task), or undefined. */
  nextOfShape(shape: string, isLive: (task: TaskRecord) => boolean): TaskRecord | undefined {
    const queue = this.queues.get(shape);
    if (queue === undefined) return undefined;
    while (queue.head < queue.items.length) {
      const task = queue.items[queue.head++]!;
      this.entries--;
      if (!isLive(task)) continue;
      this.acquire(task.needs);
      this.compact(queue);
      return task;
    }
    this.queues.delete(shape);
    return undefined;
  }

  private compact(queue: { items: TaskRecord[]; head: number }): void {
    if (queue.head > 1024 && queue.head * 2 > queue.items.length) {
      queue.items.splice(0, queue.head);
      queue.head = 0;
    }
  }

  /** The next queued task that fits now (its resources taken), or undefined. */
  next(isLive: (task: TaskRecord) => boolean): TaskRecord | undefined {
    for (const [shape, queue] of this.queues) {
      while (queue.head < queue.items.length) {
        const task = queue.items[queue.head]!;
        if (!isLive(task)) {
          queue.head++;
          this.entries--;
          continue;
        }
        if (!this.fits(task.needs)) break;
        queue.head++;
        this.entries--;
        this.acquire(task.needs);
        this.compact(queue);
        return task;
      }
      if (queue.head >= queue.items.length) this.queues.delete(shape);
    }
    return undefined;
  }
}
