/**
 * Whether the demo's workload was too short to show parallel speed-ups: a pool backend's workers
 * took as long to start as the whole workload takes per worker. Start-up is estimated from the
 * run itself: the time to its first result, less the time one task takes sequentially.
 */
import { messages } from './messages.js';

export interface TimedRun {
  readonly backend: string;
  readonly workers: number;
  readonly wallMs: number | null;
  /** Milliseconds from the call's start to its first finished task; null when none finished. */
  readonly firstResultMs: number | null;
}

/** The backends whose estimated start-up reached the ideal per-worker time, with that start-up. */
export function slowStarts(
  runs: readonly TimedRun[],
  tasks: number,
): Array<{ backend: string; startupMs: number }> {
  const sequential = runs[0];
  if (sequential?.wallMs == null || tasks <= 0) return [];
  const taskMs = sequential.wallMs / tasks;
  return runs.slice(1).flatMap((run) => {
    if (run.wallMs === null || run.firstResultMs === null || run.workers < 2) return [];
    const startupMs = Math.max(0, run.firstResultMs - taskMs);
    const perWorkerMs = sequential.wallMs! / run.workers;
    return startupMs >= perWorkerMs ? [{ backend: run.backend, startupMs }] : [];
  });
}

/** The note printed under the table when the workload was too short, or null. */
export function shortWorkloadNote(runs: readonly TimedRun[], tasks: number, quick: boolean): string | null {
  const slow = slowStarts(runs, tasks);
  if (slow.length === 0) return null;
  return messages.demo.shortWorkload(runs[0]!.wallMs!, slow, quick);
}
