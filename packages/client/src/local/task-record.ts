/** One task of the local engine, from submission to its ref settling. */
import type { WireFunction } from '@parajob/core/backend';
import type { StreamSink } from '../generator.js';
import type { ObjectRef } from '../object-ref.js';
import type { WireTaskOptions } from '../options.js';
import type { Needs } from './resources.js';
import type { WorkerHandle } from './worker-handle.js';

export enum TaskState {
  /** Waiting for its ObjectRef arguments (holds nothing). */
  WaitingForArgs = 0,
  /** Arguments ready, waiting for resources. */
  Queued = 1,
  Running = 2,
  /** Cancelled while running: its ref is rejected; the worker's answer is awaited to free its resources. */
  CancelledRunning = 3,
  Done = 4,
}

export class TaskRecord {
  state = TaskState.WaitingForArgs;
  /** Argument values (refs resolved) once ready. */
  values: unknown[] = [];
  worker: WorkerHandle | null = null;
  /** Whether it holds its resources now (not while blocked in get). */
  holding = false;
  /** Objects it is fetching (blocked in get/wait/await while > 0). */
  fetches = 0;
  attempts = 0;
  /** Stream items sent to the consumer (a stream that yielded is not retried: items would repeat). */
  yielded = 0;
  children: Set<string> | null = null;
  /** Objects its tasks submitted or put: freed when it ends (kept while a result still holds them). */
  created: string[] | null = null;
  /** The caller's task span (tracing on): sent with the task so its own spans nest under it. */
  traceparent: string | undefined = undefined;

  constructor(
    readonly id: string,
    readonly fn: WireFunction,
    readonly args: readonly unknown[],
    readonly options: WireTaskOptions,
    readonly ref: ObjectRef,
    readonly stream: StreamSink | null,
    readonly parent: string | undefined,
    readonly needs: Needs,
    readonly shape: string,
  ) {}
}
