/**
 * ClientEngine: what runs the client's tasks. The Client (remote/get/wait/put/cancel/actor) is the
 * same for every engine; an engine only executes submissions and settles their refs. Two exist:
 * the embedded local cluster on worker threads (the default) and NATS JetStream.
 */
import type { ObjectRefGenerator } from './generator.js';
import type { ObjectRef } from './object-ref.js';
import type { ResolvedActorOptions, ResolvedTaskOptions } from './options.js';

/** What an engine can do; the conformance suite skips (visibly) what an engine reports it cannot. */
export interface EngineSupports {
  readonly actors: boolean;
  /** remote/get/wait from inside a task (the ambient client). */
  readonly nested: boolean;
  /** async function* tasks streamed as ObjectRefGenerator. */
  readonly generators: boolean;
  /** maxRetries / retryExceptions per task. */
  readonly retries: boolean;
  /** ObjectRefs nested inside arguments, passed as refs. */
  readonly nestedRefs: boolean;
  /** numCpus and custom resources matched against the engine's declared resources. */
  readonly resources: boolean;
  /** cancel(ref, { force: true }) stops a running synchronous task. */
  readonly forceCancel: boolean;
  /** errors keep a class exported by the task module. */
  readonly errorClasses: boolean;
}

export interface TaskSubmission {
  readonly id: string;
  readonly fn: Function;
  /** Top-level ObjectRefs are dependencies: resolved before the task runs. */
  readonly args: readonly unknown[];
  readonly options: ResolvedTaskOptions;
  /** Settled with the task's return value (for a stream: settled when the stream ends). */
  readonly ref: ObjectRef;
  readonly stream: ObjectRefGenerator | null;
  /** The task's span as W3C traceparent when tracing is on: what the engine carries to its worker. */
  readonly traceparent?: string;
}

export interface ActorSubmission {
  readonly id: string;
  readonly cls: Function;
  readonly args: readonly unknown[];
  readonly options: ResolvedActorOptions;
}

export interface ActorCall {
  readonly id: string;
  readonly method: string;
  readonly args: readonly unknown[];
  readonly ref: ObjectRef;
  readonly stream: ObjectRefGenerator | null;
}

export interface CancelOptions {
  /** Stop a running task even if it never yields (terminates its worker). Default false. */
  readonly force?: boolean;
  /** Also cancel the tasks it submitted. Default true, as Ray. */
  readonly recursive?: boolean;
}

export interface ClientEngine {
  readonly name: string;
  readonly supports: EngineSupports;
  /** Resources the engine declares (`CPU` and custom ones). */
  readonly resources: Readonly<Record<string, number>>;
  submit(task: TaskSubmission): void;
  /** Stores `value` for `ref` (which the engine settles when stored). */
  put(ref: ObjectRef, value: unknown): void;
  cancel(id: string, options: CancelOptions): void;
  createActor(actor: ActorSubmission): Promise<void>;
  callActor(actorId: string, call: ActorCall): void;
  killActor(actorId: string, options: { readonly noRestart: boolean }): void;
  close(): Promise<void>;
}
