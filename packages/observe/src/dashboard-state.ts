/**
 * What the dashboard page shows (one JSON event per update), and how a process's calls become it:
 * the same shape whether the calls come from a CallTracker on this thread or from the shared
 * counters the dashboard's own thread reads.
 */
import type { CallView, ErrorView, Throughput } from './tracker.js';

export interface WorkerView {
  readonly id: string;
  readonly version: string;
  /** Batches running on it. */
  readonly running: number;
  /** Batches it runs at once. */
  readonly capacity: number;
}

/** Everything the page shows; one JSON event per update. */
export interface DashboardState {
  readonly title: string;
  readonly now: number;
  /** When the oldest change this update is the first to show happened (Date.now()): its latency starts there. */
  readonly oldestChangeAt: number;
  readonly workers: readonly WorkerView[];
  /** Tasks dispatched and not yet done, or null when the source cannot tell. */
  readonly queueDepth: number | null;
  /** What queueDepth counts, as the page titles it. */
  readonly queueLabel: string;
  readonly calls: readonly CallView[];
  readonly errors: readonly ErrorView[];
  readonly throughput: Throughput;
}

export interface ProcessParts {
  readonly version: string;
  /** Running calls first, then finished ones, newest first. */
  readonly calls: CallView[];
  readonly errors: ErrorView[];
  readonly throughput: Throughput;
  readonly oldestChangeAt: number;
}

/** A process's calls as the dashboard's state: the process is its one "worker". */
export function processState(now: number, parts: ProcessParts): DashboardState {
  const running = parts.calls.filter((c) => c.status === 'running');
  return {
    title: `parajob — process ${process.pid}`,
    now,
    oldestChangeAt: parts.oldestChangeAt,
    workers: [
      {
        id: `pid ${process.pid}`,
        version: parts.version,
        running: running.reduce((n, c) => n + c.batchesInFlight, 0),
        capacity: running.reduce((n, c) => n + c.workers, 0),
      },
    ],
    queueDepth: running.reduce((n, c) => n + c.dispatched - c.completed - c.failed, 0),
    queueLabel: 'tasks dispatched, not done',
    calls: parts.calls,
    errors: parts.errors,
    throughput: parts.throughput,
  };
}
