/**
 * @parajob/client — Ray's core API for Node.js: remote tasks and ObjectRefs, get/wait/put/cancel,
 * actors, nested and streaming tasks, on an embedded local cluster (default) or on NATS JetStream.
 */
export { actorClass } from './actor-class.js';
export type { ActorHandle, ActorMethod } from './actor-handle.js';
export { Client } from './client.js';
export { type ConnectOptions, connect } from './connect.js';
export { currentClient, getContext, type TaskContext } from './context.js';
export type {
  ActorCall,
  ActorSubmission,
  CancelOptions,
  ClientEngine,
  EngineSupports,
  TaskSubmission,
} from './engine.js';
export {
  ActorDiedError,
  GetTimeoutError,
  ObjectFreedError,
  TaskCancelledError,
  WorkerCrashedError,
} from './errors.js';
export { ObjectRefGenerator } from './generator.js';
export { LocalEngine, type LocalEngineOptions } from './local/engine.js';
export { LOCAL_SUPPORTS } from './local/supports.js';
export { NATS_SUPPORTS, NatsEngine } from './nats-engine.js';
export { ObjectRef } from './object-ref.js';
export type { ActorOptions, ErrorClass, TaskOptions } from './options.js';
export type { RemoteArgs, RemoteFunction, RemoteResult } from './remote.js';
export type { GetOptions, WaitOptions, WaitResult } from './waiting.js';

// in a `parajob worker nats` pool thread: installs the ambient client of its tasks (a no-op elsewhere)
import './nats/ambient.js';
