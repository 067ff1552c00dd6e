/** Messages between the local engine (main thread) and its worker threads. */
import type { WireFunction } from '@parajob/core/backend';
import type { WireError } from '../error-class.js';
import type { ResolvedActorOptions, WireTaskOptions } from '../options.js';

export type ToWorker =
  /** Run a task (or, with `actor`, construct the actor of this thread). `refs`: args hold ref markers. */
  /** Names a task function once per thread: later runs send its number only. */
  | { readonly t: 'define'; readonly fn: number; readonly wire: WireFunction }
  | {
      readonly t: 'run';
      readonly id: string;
      /** A function this thread was sent in a 'define'. */
      readonly fn: number;
      readonly args: readonly unknown[];
      readonly refs: boolean;
      /** Items the stream may run ahead of its consumer; 0 when not a stream. */
      readonly window: number;
      /**
       * Pipelined: the thread queues it and starts it once none of its tasks holds the CPU (the
       * previous one answered or blocked in get), without a round trip to the main thread.
       */
      readonly queued: boolean;
      /** The caller's task span when tracing is on (W3C traceparent). */
      readonly traceparent?: string;
    }
  /**
   * Plain runs of one turn (arguments without refs, not streams, no span), flat: id, function
   * number, arguments, id, ... One object per turn instead of one per task: cloning and reading
   * thousands of small objects was most of a burst's cost on the main thread.
   */
  | { readonly t: 'runs'; readonly queued: boolean; readonly tasks: unknown[] }
  | {
      readonly t: 'actor';
      readonly id: string;
      readonly fn: WireFunction;
      readonly args: readonly unknown[];
      readonly refs: boolean;
      readonly maxConcurrency: number;
    }
  | {
      readonly t: 'call';
      readonly id: string;
      readonly method: string;
      readonly args: readonly unknown[];
      readonly refs: boolean;
      readonly window: number;
    }
  | { readonly t: 'cancel'; readonly id: string }
  | { readonly t: 'credit'; readonly id: string }
  /** An item of a stream this thread's task started (nested streaming), and its end. */
  | { readonly t: 'item'; readonly id: string; readonly value: unknown; readonly refs: boolean }
  | { readonly t: 'itemEnd'; readonly id: string; readonly error: WireError | null }
  /** The value of an object a task fetched. */
  | {
      readonly t: 'object';
      readonly id: string;
      readonly ok: true;
      readonly value: unknown;
      readonly refs: boolean;
    }
  | { readonly t: 'object'; readonly id: string; readonly ok: false; readonly error: WireError };

export type FromWorker =
  /** Answers of one turn with plain values (no refs), flat: id, value, id, value, ... */
  | { readonly t: 'dones'; readonly answers: unknown[] }
  | {
      readonly t: 'done';
      readonly id: string;
      readonly ok: true;
      readonly value: unknown;
      readonly refs: boolean;
    }
  | { readonly t: 'done'; readonly id: string; readonly ok: false; readonly error: WireError }
  | { readonly t: 'yield'; readonly id: string; readonly value: unknown; readonly refs: boolean }
  /** A task submitted a task (nested); `parent` is the submitting task. */
  | {
      readonly t: 'submit';
      readonly id: string;
      readonly parent: string | undefined;
      readonly fn: WireFunction;
      readonly args: readonly unknown[];
      readonly refs: boolean;
      readonly options: WireTaskOptions;
      /** A streaming task: its items are sent to this thread as 'item' messages. */
      readonly stream: boolean;
    }
  /** The consumer in this thread took an item of stream `id` (nested streaming). */
  | { readonly t: 'credit'; readonly id: string }
  /** A task put a value; `parent` is that task (the object is freed when it ends). */
  | {
      readonly t: 'put';
      readonly id: string;
      readonly parent: string | undefined;
      readonly value: unknown;
      readonly refs: boolean;
    }
  /** A task waits for an object: its CPU is given back until the object is sent. */
  | { readonly t: 'fetch'; readonly id: string; readonly task: string | undefined }
  | { readonly t: 'cancel'; readonly id: string; readonly force: boolean; readonly recursive: boolean }
  /** A task creates an actor; the object `id` settles once its constructor ran. */
  | {
      readonly t: 'createActor';
      readonly id: string;
      readonly name: string;
      readonly fn: WireFunction;
      readonly args: readonly unknown[];
      readonly refs: boolean;
      readonly options: ResolvedActorOptions;
    }
  /** A task calls an actor method; the call's result is the object `id`. */
  | {
      readonly t: 'actorCall';
      readonly actorId: string;
      readonly id: string;
      readonly method: string;
      readonly args: readonly unknown[];
      readonly refs: boolean;
    }
  | { readonly t: 'kill'; readonly actorId: string; readonly noRestart: boolean };

/** Run `i` of a 'runs' group (`tasks` flat: id, function number, arguments). */
export const plainRun = (tasks: readonly unknown[], i: number, queued: boolean) =>
  ({
    t: 'run',
    id: tasks[i] as string,
    fn: tasks[i + 1] as number,
    args: tasks[i + 2] as unknown[],
    refs: false,
    window: 0,
    queued,
  }) as const;
