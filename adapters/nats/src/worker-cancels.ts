/**
 * Worker side: the batches this worker runs, by call, and the calls cancelled lately. A cancel
 * (published by a driver that aborted its call) stops that call's running batches; its batches
 * pulled afterwards are dropped. At shutdown every running batch is stopped to be handed back.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Names } from './names.js';

/** Cancelled calls are remembered this long, so their batches pulled after the cancel are dropped. */
const CANCEL_MEMORY_MS = 10 * 60_000;
/** At most this many remembered calls: a flood of cancels cannot grow the memory without bound. */
const CANCEL_MEMORY_MAX = 100_000;

export type StopReason = 'cancelled' | 'shutdown';

interface Running {
  readonly call: string;
  readonly controller: AbortController;
}

export class RunningBatches {
  private readonly running = new Set<Running>();
  private readonly cancelled = new Map<string, number>();
  private subscription: Subscription | undefined;

  /** Listens to every call's cancel subject of the namespace. */
  watch(nc: NatsConnection, names: Names): void {
    const prefix = names.cancel('');
    this.subscription = nc.subscribe(names.allCancels, {
      callback: (error, m) => {
        if (!error) this.cancel(m.subject.slice(prefix.length));
      },
    });
  }

  cancel(call: string): void {
    const now = Date.now();
    this.cancelled.delete(call);
    this.cancelled.set(call, now);
    // oldest first (insertion order): drop what is too old or over the bound
    for (const [c, at] of this.cancelled) {
      if (now - at <= CANCEL_MEMORY_MS && this.cancelled.size <= CANCEL_MEMORY_MAX) break;
      this.cancelled.delete(c);
    }
    for (const r of this.running) if (r.call === call) r.controller.abort('cancelled');
  }

  isCancelled(call: string): boolean {
    return this.cancelled.has(call);
  }

  /** Registers a batch of `call`; the signal aborts with the StopReason. Call the returned function when done. */
  start(call: string): { signal: AbortSignal; done: () => void } {
    const entry: Running = { call, controller: new AbortController() };
    this.running.add(entry);
    return { signal: entry.controller.signal, done: () => this.running.delete(entry) };
  }

  /** Stops every running batch so that it is handed back (nak) to another worker. */
  handBack(): void {
    for (const r of this.running) r.controller.abort('shutdown');
  }

  close(): void {
    this.subscription?.unsubscribe();
  }
}
