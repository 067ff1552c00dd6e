/** Messages between the parent and a worker process (IPC with structured clone, `serialization: 'advanced'`). */

import type { SerializedError, WireBatch, WireResult } from '@parajob/core/backend';

/** Run a batch; `seq` (per worker) tags the status the worker writes as each task starts. */
export interface BatchMessage {
  readonly type: 'batch';
  readonly seq: number;
  readonly wire: WireBatch;
}
/** A call ended: drop its cached shared buffers. */
export interface ReleaseMessage {
  readonly type: 'release';
  readonly call: string;
}
/** The pool retires this worker (idle timeout, shrink): exit quietly. */
export interface RetireMessage {
  readonly type: 'retire';
}
export type ParentMessage = BatchMessage | ReleaseMessage | RetireMessage;

export interface ReadyMessage {
  readonly type: 'ready';
}
export interface ResultMessage {
  readonly type: 'result';
  readonly seq: number;
  readonly result: WireResult;
  /** The worker's resident memory after the batch (bytes), for maxMemoryPerWorker. */
  readonly rss: number;
}
/** An error thrown outside any task (a timer, an unhandled rejection): the worker exits right after. */
export interface FatalMessage {
  readonly type: 'fatal';
  readonly error: SerializedError;
}
export type ChildMessage = ReadyMessage | ResultMessage | FatalMessage;

/** The worker's status file is passed as this file descriptor (stdio index). */
export const STATUS_FD = 4;
