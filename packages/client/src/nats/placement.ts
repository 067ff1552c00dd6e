/**
 * Resources on the NATS engine: a task's `numCpus` and custom `resources` become its needs
 * (`{ CPU: 2, gpu: 1 }`); @parajob/nats sends such a task only to workers declaring them
 * (`parajob worker nats --resources gpu=1`, CPU being a worker's slots). Before it is sent, the
 * registry is read (at most every REFRESH_MS) and a task that no registered worker could ever run
 * fails at once with the resource named, where Ray would wait forever.
 */
import type { Cluster } from '@parajob/nats';
import { messages } from '../messages.js';
import { DEFAULT_TASK_OPTIONS, type ResolvedTaskOptions } from '../options.js';

export type Needs = Readonly<Record<string, number>>;

const REFRESH_MS = 2_000;

const describe = (table: Needs) =>
  Object.keys(table).length === 0
    ? 'nothing'
    : Object.entries(table)
        .map(([name, amount]) => `${name}: ${amount}`)
        .join(', ');

/** The task's needs, undefined for the defaults (1 CPU, no resources: the shared queue). */
export function needsOf(options: Pick<ResolvedTaskOptions, 'numCpus' | 'resources'>): Needs | undefined {
  const custom = Object.entries(options.resources).filter(([, amount]) => amount > 0);
  if (custom.length === 0 && options.numCpus === DEFAULT_TASK_OPTIONS.numCpus) return undefined;
  const needs: Record<string, number> = Object.fromEntries(custom);
  if (options.numCpus > 0) needs.CPU = options.numCpus;
  for (const [name, amount] of Object.entries(needs))
    if (!Number.isInteger(amount)) throw new RangeError(messages.natsWholeAmount(name, amount));
  // numCpus 0 and nothing else (an actor's default): any worker runs it, from the common queue
  return Object.keys(needs).length === 0 ? undefined : needs;
}

export class Placement {
  private workers: readonly Needs[] = [];
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<readonly Needs[]> | undefined;
  /** What the registered workers declare together (clusterResources()). */
  totals: Needs = {};

  constructor(private readonly cluster: () => Promise<Cluster>) {}

  /** Resolves when a registered worker declares `needs`; rejects naming what none has. */
  async check(needs: Needs): Promise<void> {
    if (Date.now() - this.readAt <= REFRESH_MS && this.fits(needs)) return;
    // stale, or a worker may have registered since the last read
    await this.read();
    if (this.fits(needs)) return;
    const missing = Object.entries(needs).filter(([name, amount]) =>
      this.workers.every((w) => (w[name] ?? 0) < amount),
    );
    const named = missing.length > 0 ? Object.fromEntries(missing) : needs;
    throw new Error(
      messages.natsInfeasible(
        describe(named),
        this.workers.map((w) => `{ ${describe(w)} }`).join(', ') || 'none',
      ),
    );
  }

  private fits(needs: Needs): boolean {
    return this.workers.some((w) =>
      Object.entries(needs).every(([name, amount]) => (w[name] ?? 0) >= amount),
    );
  }

  /** Reads the registry (one read at a time). */
  read(): Promise<readonly Needs[]> {
    this.reading ??= this.cluster()
      .then((c) => c.workerResources())
      .then((workers) => {
        this.workers = workers;
        this.readAt = Date.now();
        const totals: Record<string, number> = {};
        for (const w of workers)
          for (const [name, amount] of Object.entries(w)) totals[name] = (totals[name] ?? 0) + amount;
        this.totals = totals;
        return workers;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}
