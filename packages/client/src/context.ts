/**
 * The ambient client: inside a task, `currentClient()` is a client of the cluster that runs it
 * (Ray's nested tasks: remote/get/wait from a task). In the driver it is the client connected last.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client } from './client.js';
import { messages } from './messages.js';

export interface TaskContext {
  readonly client: Client;
  /** The running task's id (undefined in the driver). */
  readonly taskId: string | undefined;
  /** Aborted when the task is cancelled: long async tasks can stop early. */
  readonly signal: AbortSignal;
}

/** @internal set by engines around each task they run */
export const taskContext = new AsyncLocalStorage<TaskContext>();

let driverClient: Client | undefined;

/** @internal */
export function setDriverClient(client: Client | undefined): void {
  driverClient = client;
}

/** @internal */
export function driverClientIs(client: Client): boolean {
  return driverClient === client;
}

/** The context of the running task, or the driver's (the last connected client) outside tasks. */
export function getContext(): TaskContext {
  const inside = taskContext.getStore();
  if (inside !== undefined) return inside;
  if (driverClient === undefined) throw new Error(messages.noClient());
  return { client: driverClient, taskId: undefined, signal: new AbortController().signal };
}

/** The client to submit from here: the ambient one inside a task, else the last connected. */
export function currentClient(): Client {
  return getContext().client;
}
