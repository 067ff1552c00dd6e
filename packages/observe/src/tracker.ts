/**
 * CallTracker: what the dashboard shows about this process's calls, kept in memory with fixed
 * bounds (no database): calls running and the last finished ones with their progress, the last
 * errors with their task, and tasks completed per second over the last minutes.
 */
import type { CallInfo } from '@parajob/core/backend';
import { type CallListener, isCancellation } from './hub.js';

export type CallStatus = 'running' | 'completed' | 'failed';

export interface CallView {
  readonly id: string;
  readonly backend: string;
  readonly workers: number;
  /** Tasks in the input when known (an array), else null until the call ends. */
  total: number | null;
  dispatched: number;
  completed: number;
  failed: number;
  batchesInFlight: number;
  status: CallStatus;
  readonly startedAt: number;
  endedAt: number | null;
  error: string | null;
}

export interface ErrorView {
  readonly at: number;
  readonly callId: string;
  readonly taskIndex: number | null;
  readonly name: string;
  readonly message: string;
  /** The worker that ran the task, when the error says (remote workers name themselves). */
  readonly worker: string | null;
}

export interface Throughput {
  /** Second timestamps (Unix seconds) and tasks completed in each. */
  readonly t: number[];
  readonly tasks: number[];
}

const KEEP_FINISHED = 20;
const KEEP_ERRORS = 50;
const KEEP_SECONDS = 300;

export function describeError(
  error: unknown,
  fallbackIndex: number | null,
): Omit<ErrorView, 'at' | 'callId'> {
  const e = (error ?? {}) as { name?: unknown; message?: unknown; taskIndex?: unknown; worker?: unknown };
  return {
    taskIndex: typeof e.taskIndex === 'number' ? e.taskIndex : fallbackIndex,
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
    worker: typeof e.worker === 'string' ? e.worker : null,
  };
}

export class CallTracker implements CallListener {
  private readonly calls = new Map<string, CallView>();
  private readonly errors: ErrorView[] = [];
  private readonly seconds: number[] = [];
  private readonly counts: number[] = [];
  /** Bumped on every change, so a server pushes only when something changed. */
  version = 0;
  /** The first change not yet shown (Date.now()), or null: what the dashboard's update latency counts from. */
  private unseenSince: number | null = null;

  private changed(): void {
    this.version++;
    this.unseenSince ??= Date.now();
  }

  /** When the oldest change a new snapshot shows first happened (now when nothing changed); resets it. */
  takeOldestChange(now: number): number {
    const at = this.unseenSince ?? now;
    this.unseenSince = null;
    return at;
  }

  callStarted(info: CallInfo, at: number): void {
    this.calls.set(info.callId, {
      id: info.callId,
      backend: info.backend,
      workers: info.workers,
      total: info.total,
      dispatched: 0,
      completed: 0,
      failed: 0,
      batchesInFlight: 0,
      status: 'running',
      startedAt: at,
      endedAt: null,
      error: null,
    });
    this.changed();
  }

  batchStarted(callId: string, _first: number, size: number): void {
    const call = this.calls.get(callId);
    if (!call) return;
    call.dispatched += size;
    call.batchesInFlight++;
    this.changed();
  }

  batchEnded(
    callId: string,
    first: number,
    size: number,
    at: number,
    _ms: number,
    error: unknown,
    failedTasks: number,
  ): void {
    const call = this.calls.get(callId);
    if (!call) return;
    call.batchesInFlight--;
    if (error === undefined) {
      call.completed += size - failedTasks;
      this.count(at, size);
    } else if (!isCancellation(error)) {
      call.failed++;
      this.addError(at, callId, error, first);
    }
    this.changed();
  }

  taskFailed(callId: string, taskIndex: number, at: number, error: unknown): void {
    const call = this.calls.get(callId);
    if (!call) return;
    call.failed++;
    this.addError(at, callId, error, taskIndex);
    this.changed();
  }

  callEnded(callId: string, at: number, error: unknown): void {
    const call = this.calls.get(callId);
    if (!call) return;
    call.endedAt = at;
    call.status = error === undefined ? 'completed' : 'failed';
    if (error !== undefined) {
      call.error = describeError(error, null).message;
      // a call that failed outside its batches (the input threw, a bad argument) still shows why
      if (!this.errors.some((e) => e.callId === callId)) this.addError(at, callId, error, null);
    }
    if (error === undefined && call.total === null) call.total = call.completed;
    this.prune();
    this.changed();
  }

  private addError(at: number, callId: string, error: unknown, first: number | null): void {
    this.errors.push({ at, callId, ...describeError(error, first) });
    if (this.errors.length > KEEP_ERRORS) this.errors.shift();
  }

  private count(at: number, tasks: number): void {
    const second = Math.floor(at / 1000);
    const last = this.seconds.length - 1;
    if (last >= 0 && this.seconds[last] === second) this.counts[last]! += tasks;
    else {
      this.seconds.push(second);
      this.counts.push(tasks);
      if (this.seconds.length > KEEP_SECONDS) {
        this.seconds.shift();
        this.counts.shift();
      }
    }
  }

  private prune(): void {
    const finished = [...this.calls.values()].filter((c) => c.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.calls.delete(old.id);
  }

  /** Running calls first, then the finished ones, newest first. */
  callViews(): CallView[] {
    const all = [...this.calls.values()];
    return [
      ...all.filter((c) => c.status === 'running'),
      ...all.filter((c) => c.status !== 'running').reverse(),
    ];
  }

  errorViews(): ErrorView[] {
    return [...this.errors].reverse();
  }

  /** Tasks per second over the last `seconds`, with a zero for every quiet second. */
  throughput(now: number, seconds = 120): Throughput {
    const end = Math.floor(now / 1000);
    const t: number[] = [];
    const tasks: number[] = [];
    let j = 0;
    for (let s = end - seconds + 1; s <= end; s++) {
      while (j < this.seconds.length && this.seconds[j]! < s) j++;
      t.push(s);
      tasks.push(this.seconds[j] === s ? this.counts[j]! : 0);
    }
    return { t, tasks };
  }
}
