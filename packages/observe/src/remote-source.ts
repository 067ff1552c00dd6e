/**
 * The dashboard's source for a remote namespace (`parajob dashboard --servers`): batches seen
 * sent and answered on the wire become the same call events a driver reports, so the page is
 * the one a local process shows. A call is over when none of its batches is outstanding and
 * nothing happened for `idleMs` (or for `staleMs` whatever is outstanding: the dashboard does
 * not see a cancelled batch end).
 */
import type { DashboardSource, DashboardState, WorkerView } from './dashboard.js';
import { CallTracker } from './tracker.js';

export interface RemoteWorker {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly capacity: number;
  readonly running: number | null;
}

/** What @parajob/nats's `watchNamespace` returns (structurally: observe does not depend on it). */
export interface RemoteFeed {
  readonly namespace: string;
  workers(): Promise<RemoteWorker[]>;
  queue(): Promise<{ readonly waiting: number; readonly running: number }>;
  close(): Promise<void>;
}

interface RemoteCall {
  readonly batches: Map<string, { first: number; size: number }>;
  last: number;
  error: unknown;
}

export class RemoteCalls {
  readonly tracker = new CallTracker();
  private readonly calls = new Map<string, RemoteCall>();
  capacity = 0;

  constructor(
    private readonly idleMs = 3_000,
    private readonly staleMs = 60_000,
  ) {}

  batchSent(call: string, batchId: string, first: number | null, size: number | null, at: number): void {
    let c = this.calls.get(call);
    if (!c) {
      c = { batches: new Map(), last: at, error: undefined };
      this.calls.set(call, c);
      this.tracker.callStarted(
        {
          callId: call,
          backend: 'nats',
          nJobs: -1,
          workers: this.capacity,
          inCaller: false,
          mode: 'list',
          total: null,
          depth: 1,
        },
        at,
      );
    }
    c.last = at;
    const b = { first: first ?? 0, size: size ?? 1 };
    c.batches.set(batchId, b);
    this.tracker.batchStarted(call, b.first, b.size);
  }

  batchAnswered(
    call: string,
    batchId: string,
    at: number,
    answer: { readonly error?: Error; readonly failedTasks: readonly Error[] },
  ): void {
    const c = this.calls.get(call);
    const b = c?.batches.get(batchId);
    if (!c || !b) return;
    c.batches.delete(batchId);
    c.last = at;
    for (const e of answer.failedTasks)
      this.tracker.taskFailed(call, (e as { taskIndex?: number }).taskIndex ?? b.first, at, e);
    this.tracker.batchEnded(call, b.first, b.size, at, 0, answer.error, answer.failedTasks.length);
    if (answer.error !== undefined) c.error ??= answer.error;
  }

  /** Ends the calls that went quiet. */
  sweep(now: number): void {
    for (const [id, c] of this.calls) {
      const quiet = now - c.last;
      if ((c.batches.size === 0 && quiet >= this.idleMs) || quiet >= this.staleMs) {
        this.calls.delete(id);
        this.tracker.callEnded(id, now, c.error);
      }
    }
  }
}

/** A dashboard source over a remote namespace: `calls` must be the listener the feed reports to. */
export function remoteSource(feed: RemoteFeed, calls: RemoteCalls): DashboardSource {
  const sweep = setInterval(() => calls.sweep(Date.now()), 500);
  sweep.unref();
  return {
    version: () => calls.tracker.version,
    async state(now): Promise<DashboardState> {
      const [workers, queue] = await Promise.all([feed.workers(), feed.queue()]);
      calls.capacity = workers.reduce((n, w) => n + w.capacity, 0);
      const tracker = calls.tracker;
      return {
        title: `parajob — NATS namespace ${feed.namespace}`,
        now,
        oldestChangeAt: tracker.takeOldestChange(now),
        workers: workers.map(
          (w): WorkerView => ({
            id: `${w.host}:${w.pid}`,
            version: w.version,
            running: w.running ?? 0,
            capacity: w.capacity,
          }),
        ),
        queueDepth: queue.waiting,
        queueLabel: 'batches waiting in the queue',
        calls: tracker.callViews(),
        errors: tracker.errorViews(),
        throughput: tracker.throughput(now),
      };
    },
    async close() {
      clearInterval(sweep);
      await feed.close();
    },
  };
}
