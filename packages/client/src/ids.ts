/** Cheap unique ids for refs, tasks and actors: a prefix per process or thread, and a counter. */
import { threadId } from 'node:worker_threads';

const prefix = `${process.pid.toString(36)}.${threadId.toString(36)}.`;
let next = 0;

export function newId(): string {
  return prefix + (next++).toString(36);
}
