/** Error classes of the client, named like Ray's exceptions. */
export { WorkerCrashedError } from '@parajob/core';

/** `get` of a cancelled task (Ray's TaskCancelledError). */
export class TaskCancelledError extends Error {
  override name = 'TaskCancelledError';
}

/** A call to an actor that is dead: killed, or its worker died with no restarts left (Ray's ActorDiedError). */
export class ActorDiedError extends Error {
  override name = 'ActorDiedError';
}

/** `get` did not finish within its `timeout` (Ray's GetTimeoutError). */
export class GetTimeoutError extends Error {
  override name = 'GetTimeoutError';
}

/** The object behind a ref was freed: no ref to it was left in the process that owns it (Ray's ObjectFreedError). */
export class ObjectFreedError extends Error {
  override name = 'ObjectFreedError';
}
